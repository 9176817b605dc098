"""Fast saliency heatmaps, chosen by the kind of encoder.

- CNN (EfficientNet-Lite + trained heads, `classifier.explain.torch_head.TorchHead`):
  Grad-CAM on the final 1x1 conv (the activations the pooled style statistics and
  the head read). Grad-CAM++ is kept as an option: in the deletion test
  (docs/explanations.md) plain Grad-CAM ranked regions slightly more faithfully, and
  an earlier block (16 x 16) barely beat random, so the default is plain Grad-CAM.
- ViT (open_clip VisionTransformer): gradient-weighted attention rollout (Chefer et
  al. 2021): plain Grad-CAM on ViT tokens is known to fail on CLIP, while the
  attention maps weighted by their gradients, rolled out through the layers,
  follow the class token's evidence.

Every map is float32 [S, S] in [0, 1] at the model's input size S.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from classifier.explain.torch_head import HEAD, TorchHead

GRADCAM, GRADCAM_PP = "gradcam", "gradcam++"


def _normalise(cam: torch.Tensor, size: int) -> np.ndarray:
    """[h, w] -> [size, size] bilinear, scaled to [0, 1] (all zeros stays zeros)."""
    cam = F.interpolate(cam[None, None].float(), size=(size, size), mode="bilinear", align_corners=False)[0, 0]
    cam = cam - cam.min()
    peak = float(cam.max())
    return (cam / peak if peak > 0 else cam).numpy().astype(np.float32)


def cnn_cam(head: TorchHead, batch: torch.Tensor, label: int, target: int | str = HEAD,
            method: str = GRADCAM) -> np.ndarray:
    """Grad-CAM(++) of artist `label` for one preprocessed image [1, 3, S, S]."""
    forward = head.run(batch, target=target)
    activation = forward.activation
    (grad,) = torch.autograd.grad(forward.artist_logits[0, label], activation)
    a, g = activation.detach()[0], grad[0]
    if method == GRADCAM:
        weights = g.mean(dim=(1, 2))
    else:
        g2, g3 = g ** 2, g ** 3
        denominator = 2 * g2 + a.sum(dim=(1, 2), keepdim=True) * g3
        nonzero = denominator != 0
        alpha = torch.where(nonzero, g2 / torch.where(nonzero, denominator, 1.0), 0.0)
        weights = (alpha * F.relu(g)).sum(dim=(1, 2))
    cam = F.relu((weights[:, None, None] * a).sum(dim=0))
    return _normalise(cam, batch.shape[-1])


# --- ViT (open_clip) ----------------------------------------------------------------------

def _attend(mha: torch.nn.MultiheadAttention, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Self-attention recomputed so the per-head weights [B, H, T, T] are in the autograd graph
    (torch's own MHA may take a fused path and return weights that the output never used)."""
    if not mha.batch_first:
        x = x.transpose(0, 1)
    b, t, d = x.shape
    heads = mha.num_heads
    q, k, v = (part.reshape(b, t, heads, d // heads).transpose(1, 2)
               for part in F.linear(x, mha.in_proj_weight, mha.in_proj_bias).chunk(3, dim=-1))
    weights = torch.softmax(q @ k.transpose(-1, -2) / (d // heads) ** 0.5, dim=-1)
    out = mha.out_proj((weights @ v).transpose(1, 2).reshape(b, t, d))
    return (out if mha.batch_first else out.transpose(0, 1)), weights


def _attention_recorder(blocks):
    """Replace each block's attention output by `_attend`'s and record the weights."""
    recorded, handles = [], []

    def recompute(module, args, _output):
        out, weights = _attend(module, args[0])
        recorded.append(weights)
        return out, None

    for block in blocks:
        handles.append(block.attn.register_forward_hook(recompute))
    return recorded, handles


def vit_attention_map(visual: torch.nn.Module, batch: torch.Tensor, target: torch.Tensor) -> np.ndarray:
    """Gradient-weighted attention rollout for the score <image embedding, target> of one image.

    `visual` is an open_clip VisionTransformer (model.visual); `target` a [D] vector,
    e.g. a zero-shot text embedding or a linear head's class weights.
    """
    blocks = list(visual.transformer.resblocks)
    recorded, handles = _attention_recorder(blocks)
    try:
        with torch.enable_grad():
            image = batch.detach().clone().requires_grad_(True)  # frozen weights: give autograd a root
            embedding = visual(image)
            score = (F.normalize(embedding, dim=-1)[0] * target).sum()
            grads = torch.autograd.grad(score, recorded)
    finally:
        for handle in handles:
            handle.remove()
    tokens = recorded[0].shape[-1]
    rollout = torch.eye(tokens)
    for attention, grad in zip(recorded, grads):
        weighted = F.relu(grad[0] * attention[0].detach()).mean(dim=0)  # [T, T], mean over heads
        rollout = rollout + weighted @ rollout
    grid = visual.grid_size
    prefix = tokens - grid[0] * grid[1]  # class (and any register) tokens come first
    relevance = rollout[0, prefix:].reshape(grid)
    return _normalise(relevance, batch.shape[-1])


def heatmap(model, batch: torch.Tensor, label: int, **options) -> np.ndarray:
    """Dispatch on the encoder type: TorchHead -> Grad-CAM, open_clip ViT -> attention rollout."""
    if isinstance(model, TorchHead):
        return cnn_cam(model, batch, label, **options)
    if hasattr(model, "transformer") and hasattr(model, "grid_size"):
        return vit_attention_map(model, batch, options["target"])
    raise TypeError(f"no saliency method for {type(model).__name__}")
