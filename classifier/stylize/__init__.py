"""Style transfer: a visitor's photo painted like a painter (`museum stylize`, the app's "Paint it like ...").

Two ways, one loss network (the shipped EfficientNet-Lite0, classifier/stylize/losses.py):
- any painting as the style: the picture is optimised against it (optimize.paint_like, tens of seconds);
- instant styles: a small transform network trained once per painter (instant.paint_instantly, a fraction
  of a second), shipped in classifier/weights/stylizers/.
"""

from classifier.stylize.instant import instant_styles, load_instant, paint_instantly
from classifier.stylize.losses import STATISTICS, LossConfig, LossNetwork
from classifier.stylize.optimize import OptimizeConfig, paint_like
from classifier.stylize.pictures import StylizeError

__all__ = ["STATISTICS", "LossConfig", "LossNetwork", "OptimizeConfig", "StylizeError", "instant_styles",
           "load_instant", "paint_instantly", "paint_like"]
