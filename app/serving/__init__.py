"""Serving many visitors from one process: what is loaded once and shared, and the shared backbone.

    Resources.from_settings(settings)        the resident parts (knowledge base, indexes, classifier, text
                                             model), each loaded lazily once under its own lock
    look(resources, image) -> Look           one backbone forward for a painting, micro-batched with other
                                             visitors' paintings (vision.py, microbatch.py)

heap.py keeps a long-running server's memory bounded.
"""

from app.serving.resources import Resources
from app.serving.vision import Look, look

__all__ = ["Look", "Resources", "look"]
