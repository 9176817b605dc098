"""Why does the classifier say so? The public face of the explanations.

    explain_for_chat(resources, image, label=None, method="heatmap", progress=None) -> Explanation

is the one entry point (details in facade.py); `load_resources` or `ExplainResources(model=
ExplainModel.from_classifier(classifier), ...)` builds what it keeps resident. The modules behind it, one
stage each: model.py (the adapter to the classifier), torch_head.py (the heads in torch, for gradients),
cam.py (Grad-CAM heatmaps), lime_regions.py (LIME), examples.py (paintings by the explained artist),
text.py (the sentence), overlay.py (the pictures), bench.py (`museum bench explain`).

The names load on first use: importing the package (or its torch-free text.py) costs nothing, so a text
question never loads torch, LIME or scikit-image.
"""

from __future__ import annotations

import importlib

_PUBLIC = {
    "METHODS": "facade", "ExplainError": "facade", "ExplainResources": "facade", "Explanation": "facade",
    "explain_for_chat": "facade", "load_resources": "facade", "resolve_label": "facade", "ExplainModel": "model",
}
__all__ = list(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_PUBLIC[name]}"), name)
