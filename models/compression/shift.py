"""ShiftResNet blocks (PDP with a zero-parameter shift) and shift-layer pruning.

A :class:`ShiftConv` replaces one 3×3 conv: 1×1 conv (ci → E·ci) → BN → [ReLU] → :class:`Shift` →
1×1 conv (E·ci → co) → BN. ``relu=True`` is ShiftNet's module (Wu et al. 2017: a ReLU after the
first 1×1 conv's BN); ``relu=False`` (the default, used by ``codesign compress``) has no
nonlinearity inside, so it is exactly the pointwise–depthwise–pointwise (PDP) form of the kernel
tensor view with a one-hot depthwise kernel. :class:`ShiftBlock` = ShiftConv → ReLU → ShiftConv,
+ shortcut, ReLU (a ResNet basic block with both 3×3 convs replaced).

Shift-layer pruning: removing the shift of a ShiftConv (and its inner ReLU, if any) leaves
conv_b·BN_a·conv_a, a product of linear maps, merged into one 1×1 conv ci → co with bias (BN_a
and BN_b folded, stride kept: a strided shift becomes a strided 1×1 conv). Without the inner ReLU
the merge is exact; with it, the merge also drops the ReLU, and fine-tuning follows. See
:func:`merge_shift_conv`.

Selection criterion (:func:`select_shifts`): for every ShiftConv, the increase of the
cross-entropy loss on a held-out batch when only its shift is removed (and merged), divided by
the parameters that removal saves; ShiftConvs are removed in ascending order of this
"loss per saved parameter" until the saved fraction of the model's parameters is within
``tolerance`` (default 0.1) of the target (candidates that would overshoot it are skipped).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from codesign.models.export import bn_affine
from codesign.models.nets.resnets import ResNetBase, make_shortcut

__all__ = ["Shift", "ShiftConv", "ShiftBlock", "ShiftResNet", "shift_offsets", "merge_shift_conv",
           "shift_convs", "select_shifts", "prune_shifts"]


def shift_offsets(channels: int) -> list[tuple[int, int]]:
    """(dy, dx) per channel: 9 near-equal channel groups, one offset of {−1, 0, 1}² each."""
    offs = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    bounds = [round(i * channels / 9) for i in range(10)]
    return [offs[g] for g in range(9) for _ in range(bounds[g + 1] - bounds[g])]


class Shift(nn.Module):
    """out[c, y, x] = in[c, s·y + dy_c, s·x + dx_c] (zero outside): depthwise 3×3 one-hot conv, pad 1."""

    def __init__(self, channels: int, stride: int = 1):
        super().__init__()
        self.channels, self.stride = channels, stride
        k = torch.zeros(channels, 1, 3, 3)
        for c, (dy, dx) in enumerate(shift_offsets(channels)):
            k[c, 0, 1 + dy, 1 + dx] = 1.0
        self.register_buffer("kernel", k)  # not a parameter: zero trainable weights

    def forward(self, x):
        return F.conv2d(x, self.kernel, None, self.stride, 1, 1, self.channels)


class ShiftConv(nn.Module):
    """PDP replacement of a 3×3 conv: conv1×1 → BN → [ReLU if ``relu``] → Shift(stride) → conv1×1 → BN."""

    def __init__(self, ci: int, co: int, stride: int = 1, expansion: int = 3, relu: bool = False):
        super().__init__()
        self.relu = bool(relu)
        mid = expansion * ci
        self.conv_a = nn.Conv2d(ci, mid, 1, bias=False)
        self.bn_a = nn.BatchNorm2d(mid)
        self.shift = Shift(mid, stride)
        self.conv_b = nn.Conv2d(mid, co, 1, bias=False)
        self.bn_b = nn.BatchNorm2d(co)

    def forward(self, x):
        h = self.bn_a(self.conv_a(x))
        return self.bn_b(self.conv_b(self.shift(F.relu(h) if self.relu else h)))


class ShiftBlock(nn.Module):
    def __init__(self, ci: int, co: int, stride: int = 1, expansion: int = 3, relu: bool = False):
        super().__init__()
        self.sc1 = ShiftConv(ci, co, stride, expansion, relu)
        self.relu1 = nn.ReLU()
        self.sc2 = ShiftConv(co, co, 1, expansion, relu)
        self.shortcut = make_shortcut(ci, co, stride)
        self.relu2 = nn.ReLU()

    def forward(self, x):
        return self.relu2(self.sc2(self.relu1(self.sc1(x))) + self.shortcut(x))


class ShiftResNet(ResNetBase):
    """ResNet skeleton (stem, 3 stages, GAP, linear) built from :class:`ShiftBlock` (``relu``: ShiftNet's)."""

    def __init__(self, widths=(16, 32, 64), blocks=(1, 1, 1), expansion: int = 3, num_classes: int = 10,
                 in_channels: int = 3, relu: bool = False):
        super().__init__(lambda ci, co, s: ShiftBlock(ci, co, s, expansion, relu), widths, blocks, num_classes,
                         in_channels)


@torch.no_grad()
def merge_shift_conv(sc: ShiftConv) -> nn.Conv2d:
    """Single 1×1 conv (with bias, same stride) equal to ``sc`` with its shift and inner ReLU removed (eval BN)."""
    s_a, t_a = bn_affine(sc.bn_a, torch.float32)
    s_b, t_b = bn_affine(sc.bn_b, torch.float32)
    wa = sc.conv_a.weight[:, :, 0, 0].double()  # [mid, ci]
    wb = sc.conv_b.weight[:, :, 0, 0].double()  # [co, mid]
    w = s_b.double()[:, None] * (wb @ (s_a.double()[:, None] * wa))
    b = s_b.double() * (wb @ t_a.double()) + t_b.double()
    stride = sc.shift.stride
    conv = nn.Conv2d(wa.shape[1], wb.shape[0], 1, stride, 0, bias=True)
    conv.weight.copy_(w.float()[:, :, None, None])
    conv.bias.copy_(b.float())
    return conv


def shift_convs(model: nn.Module) -> list[tuple[nn.Module, str, ShiftConv]]:
    """(parent, attribute, ShiftConv) for every ShiftConv still in the model, in module order."""
    return [(parent, name, child) for parent in model.modules() for name, child in parent.named_children()
            if isinstance(child, ShiftConv)]


def _saved_params(sc: ShiftConv) -> int:
    merged = sc.conv_a.in_channels * sc.conv_b.out_channels + sc.conv_b.out_channels
    return sum(p.numel() for p in sc.parameters()) - merged


@torch.no_grad()
def select_shifts(model: nn.Module, x_val: np.ndarray, y_val: np.ndarray, target_saving: float = 0.5,
                  tolerance: float = 0.1) -> list[dict]:
    """Rank ShiftConvs by held-out loss increase per saved parameter; pick until ``target_saving``.

    Returns one dict per ShiftConv (module order) with ``index``, ``delta_loss``, ``saved_params``,
    ``score`` and ``selected`` (bool). ``target_saving`` is a fraction of the model's parameters:
    selection stops once ``target_saving − tolerance`` is saved, and a candidate that would push the
    saving above ``target_saving + tolerance`` is skipped.
    """
    model.eval()
    x, y = torch.as_tensor(x_val), torch.as_tensor(y_val)
    base = float(F.cross_entropy(model(x), y))
    total = sum(p.numel() for p in model.parameters())
    rows = []
    for i, (parent, name, sc) in enumerate(shift_convs(model)):
        setattr(parent, name, merge_shift_conv(sc))
        delta = float(F.cross_entropy(model(x), y)) - base
        setattr(parent, name, sc)
        saved = _saved_params(sc)
        rows.append({"index": i, "delta_loss": delta, "saved_params": saved,
                     "score": max(delta, 0.0) / saved, "selected": False})
    saved_sum = 0
    for r in sorted(rows, key=lambda r: (r["score"], r["delta_loss"])):
        if saved_sum >= (target_saving - tolerance) * total:
            break
        if saved_sum + r["saved_params"] <= (target_saving + tolerance) * total:
            r["selected"] = True
            saved_sum += r["saved_params"]
    return rows


def prune_shifts(model: nn.Module, indices) -> nn.Module:
    """Replace the ShiftConvs with the given indices (order of :func:`shift_convs`) by merged 1×1 convs, in place."""
    found = shift_convs(model)
    for i in sorted(set(int(i) for i in indices)):
        if not 0 <= i < len(found):
            raise IndexError(f"prune_shifts: index {i} out of range (model has {len(found)} ShiftConvs)")
        parent, name, sc = found[i]
        setattr(parent, name, merge_shift_conv(sc))
    return model
