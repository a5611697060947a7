"""PECAN layers (product-quantized CAM networks, Ran et al., DATE 2023) for PyTorch.

A layer's (im2col) input vector of length L = D·d is split into D subvectors of length d;
subspace j has K learned prototypes ``P[j]`` (K × d) and a weight slice ``W_j`` (d × out).
The output is ``Σ_j Σ_k a[j,k] · LUT[j,k,:] + bias`` with ``LUT[j,k,:] = P[j,k] · W_j`` and

* training: ``a = softmax(similarity / temperature)`` (soft), or a straight-through hard
  one-hot (forward hard, gradient soft) when ``hard=True``;
  With ``input_ste`` (default) the input gradient is also passed straight through as if the
  layer were dense (``dL/dx = Wᵀ dL/dy``): the gradient through the assignment alone vanishes
  as the temperature falls and stalls the earlier layers.
* ``dense=True`` (warm-up): the ordinary conv/linear ``W·x + b`` with the same weight;
  prototypes are seeded (k-means on the layer's inputs) by the first non-dense training pass.
* eval, not frozen: float hard assignment (argmax similarity);
* eval, frozen (:meth:`freeze`): the integer arithmetic of ``docs/format.md`` exactly
  (quantized activations, integer prototype codes, integer LUT, ties to the lowest k),
  which is what the exporter writes, so files reproduce PyTorch eval bit-exactly.

Similarity: ``mode="angle"`` (PECAN-A) cosine; ``mode="distance"`` (PECAN-D) −L1 distance, in
training divided by the subspace's mean distance over the batch so that one temperature
schedule fits every layer (a positive factor: the argmax is unchanged).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from codesign.errors import CodesignError

MODES = ("angle", "distance")


class PecanError(CodesignError, ValueError):
    """Bad PECAN configuration or state (e.g. non-finite parameters at freeze time)."""


def act_range(bits: int, signed: bool) -> tuple[int, int]:
    """Integer range of quantized activations (same rule as docs/format.md)."""
    return (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)


class _PecanBase(nn.Module):
    """Shared PECAN core working on vectors (B, D·d) → (B, out)."""

    def __init__(self, in_len: int, out_len: int, subvector_dim: int, num_prototypes: int, mode: str,
                 temperature: float, act_bits: int, lut_bits: int, bias: bool) -> None:
        super().__init__()
        if mode not in MODES:
            raise PecanError(f"PECAN mode {mode!r}; expected one of {MODES}")
        if subvector_dim < 1 or in_len % subvector_dim:
            raise PecanError(f"subvector_dim={subvector_dim} must divide the input vector length {in_len}")
        if num_prototypes < 1 or not (1 <= act_bits <= 16) or not (2 <= lut_bits <= 16):
            raise PecanError(f"need num_prototypes >= 1, act_bits in 1..16, lut_bits in 2..16; got "
                             f"{num_prototypes}, {act_bits}, {lut_bits}")
        self.mode = mode
        self.subvector_dim = subvector_dim
        self.num_subspaces = in_len // subvector_dim
        self.num_prototypes = num_prototypes
        self.out_len = out_len
        self.temperature = float(temperature)
        self.hard = False
        self.input_ste = True
        self.dense = False  # warm-up: behave as the ordinary dense layer with the same weight
        self.kmeans_iters = 5
        self.null_prototype = False  # prototype 0 held at the zero vector (its LUT row is 0)
        self.capture: list[torch.Tensor] | None = None  # when a list, forward_vectors appends its inputs
        self.codebook_loss: torch.Tensor | None = None  # set by each training forward (see codebook_loss())
        self.act_bits = act_bits
        self.lut_bits = lut_bits
        self.prototypes = nn.Parameter(torch.randn(self.num_subspaces, num_prototypes, subvector_dim) * 0.5)
        self.bias = nn.Parameter(torch.zeros(out_len)) if bias else None
        # observed input range (updated in training forward passes) for activation calibration
        self.register_buffer("act_min", torch.tensor(float("inf")))
        self.register_buffer("act_max", torch.tensor(float("-inf")))
        self.register_buffer("initialized", torch.tensor(False))
        self.frozen = False
        self.act_scale = self.lut_scale = 0.0
        self.act_signed = False
        self.register_buffer("proto_codes", torch.zeros(0, dtype=torch.int32))
        self.register_buffer("lut_codes", torch.zeros(0, dtype=torch.int32))
        self.register_buffer("qbias", torch.zeros(0))

    def protos(self) -> torch.Tensor:
        """The prototypes in use (D, K, d): with ``null_prototype`` prototype 0 is the zero vector."""
        if not self.null_prototype:
            return self.prototypes
        mask = torch.ones(self.num_prototypes, 1, dtype=self.prototypes.dtype)
        mask[0] = 0
        return self.prototypes * mask

    # -- weight view --------------------------------------------------------------------
    def weight_matrix(self) -> torch.Tensor:
        """The weight as (out, L) in im2col order."""
        return self.weight.reshape(self.out_len, -1)

    def subspace_weights(self) -> torch.Tensor:
        """W as (D, d, out)."""
        return self.weight_matrix().reshape(self.out_len, self.num_subspaces, self.subvector_dim).permute(1, 2, 0)

    def lut(self) -> torch.Tensor:
        """Float LUT (D, K, out) = prototype · W_j."""
        return torch.bmm(self.protos(), self.subspace_weights())

    # -- training helpers ----------------------------------------------------------------
    @torch.no_grad()
    def init_prototypes(self, vectors: torch.Tensor) -> None:
        """k-means++-style seeding of the prototypes from input vectors (B, L); uses torch's RNG."""
        x = vectors.detach().reshape(-1, self.num_subspaces, self.subvector_dim).transpose(0, 1)  # D,B,d
        n_sub, b, _ = x.shape
        ar = torch.arange(n_sub)
        first = torch.randint(b, (n_sub,))
        chosen = [x[ar, first]]
        best = torch.full((n_sub, b), float("inf"))
        for _ in range(1, self.num_prototypes):
            best = torch.minimum(best, (x - chosen[-1][:, None, :]).abs().sum(-1))
            probs = best + 1e-12
            pick = torch.multinomial(probs, 1).squeeze(1)
            chosen.append(x[ar, pick])
        protos = torch.stack(chosen, 1)
        for _ in range(self.kmeans_iters):  # Lloyd refinement (means of the assigned vectors)
            assign = torch.cdist(x, protos, p=1).argmin(-1)  # D,B
            onehot = F.one_hot(assign, self.num_prototypes).to(x.dtype)  # D,B,K
            count = onehot.sum(1)[..., None]  # D,K,1
            means = torch.bmm(onehot.transpose(1, 2), x) / count.clamp_min(1)
            protos = torch.where(count > 0, means, protos)
        protos += 1e-3 * torch.randn_like(protos)  # break exact duplicates
        self.prototypes.copy_(protos)
        self.initialized.fill_(True)

    def similarity(self, x: torch.Tensor) -> torch.Tensor:
        """Float similarity (D, B, K) of subvectors x (D, B, d) to the prototypes."""
        if self.mode == "angle":
            return torch.bmm(F.normalize(x, dim=-1, eps=1e-8), F.normalize(self.protos(), dim=-1, eps=1e-8).transpose(1, 2))
        dist = torch.cdist(x, self.protos(), p=1)
        if self.training:  # scale-free for the softmax: divide by the mean distance of each subspace
            dist = dist / dist.detach().mean(dim=(1, 2), keepdim=True).clamp_min(1e-8)
        return -dist

    def _float_forward(self, v: torch.Tensor) -> torch.Tensor:
        b = v.shape[0]
        x = v.reshape(b, self.num_subspaces, self.subvector_dim).transpose(0, 1)
        sim = self.similarity(x)
        hard = torch.zeros_like(sim).scatter_(-1, sim.argmax(-1, keepdim=True), 1.0)
        if self.training and not self.hard:
            a = torch.softmax(sim / self.temperature, dim=-1)
        elif self.training:  # straight-through: hard forward, soft gradient
            soft = torch.softmax(sim / self.temperature, dim=-1)
            a = hard + soft - soft.detach()
        else:
            a = hard
        if self.training:  # codebook loss: pulls each winning prototype towards its (detached) inputs
            win = self.protos()[torch.arange(self.num_subspaces)[:, None], sim.argmax(-1)]  # D,B,d
            if self.mode == "distance":
                self.codebook_loss = (x.detach() - win).abs().mean()
            else:
                self.codebook_loss = 1 - F.cosine_similarity(x.detach(), win, dim=-1, eps=1e-8).mean()
        a = a.transpose(0, 1).reshape(b, -1)
        out = a @ self.lut().reshape(-1, self.out_len)
        if self.training and self.input_ste:  # zero-valued; passes dL/dx = W^T dL/dy (as a dense layer)
            out = out + F.linear(v - v.detach(), self.weight_matrix().detach())
        return out if self.bias is None else out + self.bias

    def forward_vectors(self, v: torch.Tensor) -> torch.Tensor:
        """Apply the layer to vectors (B, L) → (B, out)."""
        if self.capture is not None:
            self.capture.append(v.detach())
        if self.training:
            with torch.no_grad():
                self.act_min.fill_(min(float(self.act_min), float(v.min())))
                self.act_max.fill_(max(float(self.act_max), float(v.max())))
            if self.dense:
                return F.linear(v, self.weight_matrix(), self.bias)
            if not bool(self.initialized):
                self.init_prototypes(v)
            if self.frozen:
                self.frozen = False  # training again invalidates the integer codes
        elif self.frozen:
            return self.quantized_forward(v)
        elif self.dense:
            return F.linear(v, self.weight_matrix(), self.bias)
        return self._float_forward(v)

    # -- quantization ----------------------------------------------------------------------
    @torch.no_grad()
    def freeze(self, act_min: float | None = None, act_max: float | None = None) -> None:
        """Compute integer prototype codes, the integer LUT and both scales (docs/format.md).

        The activation range defaults to the one observed in training forward passes (or in
        :func:`calibrate`); unsigned codes when the range is non-negative.
        """
        lo_obs = float(self.act_min) if act_min is None else float(act_min)
        hi_obs = float(self.act_max) if act_max is None else float(act_max)
        if not (math.isfinite(lo_obs) and math.isfinite(hi_obs)):
            raise PecanError(f"{self.__class__.__name__}: no activation range observed; run calibrate() "
                             "or a training pass first, or pass act_min/act_max")
        tensors = [self.prototypes, self.weight] + ([self.bias] if self.bias is not None else [])
        if not all(bool(torch.isfinite(t).all()) for t in tensors):
            raise PecanError(f"{self.__class__.__name__}: prototypes/weight/bias contain NaN or inf")
        signed = lo_obs < 0
        qlo, qhi = act_range(self.act_bits, signed)
        amax = max(abs(lo_obs), abs(hi_obs))
        scale = float(np.float32(amax / (qhi if qhi > 0 else 1))) if amax > 0 else 1.0
        codes = torch.clamp(torch.round(self.protos().double() / scale), qlo, qhi)
        lut_f = torch.bmm(codes * scale, self.subspace_weights().double())
        lim = 2 ** (self.lut_bits - 1) - 1
        peak = float(lut_f.abs().max())
        lut_scale = float(np.float32(peak / lim)) if peak > 0 else 1.0
        lut_codes = torch.clamp(torch.round(lut_f / lut_scale), -lim - 1, lim)
        self.act_signed, self.act_scale, self.lut_scale = signed, scale, lut_scale
        self.proto_codes = codes.to(torch.int32)
        self.lut_codes = lut_codes.to(torch.int32)
        self.qbias = (self.bias.detach().float().clone() if self.bias is not None
                      else torch.zeros(self.out_len, dtype=torch.float32))
        self.frozen = True

    quantize = freeze

    def quantized_forward(self, v: torch.Tensor) -> torch.Tensor:
        """The exact integer inference of docs/format.md on vectors (B, L) → float32 (B, out)."""
        if not self.frozen:
            raise PecanError(f"{self.__class__.__name__}: call freeze() before quantized inference")
        b = v.shape[0]
        qlo, qhi = act_range(self.act_bits, self.act_signed)
        q = torch.clamp(torch.round(v.float() / torch.tensor(self.act_scale, dtype=torch.float32)), qlo, qhi)
        x = q.double().reshape(b, self.num_subspaces, self.subvector_dim).transpose(0, 1).contiguous()
        p = self.proto_codes.double()
        if self.mode == "distance":
            score = -torch.cdist(x, p, p=1)  # integer-valued sums, exact in float64
        else:
            norm = torch.sqrt((p * p).sum(-1))  # (D, K)
            dot = torch.bmm(x, p.transpose(1, 2))  # (D, B, K), exact integers
            score = torch.where(norm[:, None, :] > 0, dot / torch.where(norm > 0, norm, 1.0)[:, None, :], 0.0)
        win = score.argmax(-1)  # (D, B); first maximum = lowest k
        flat = self.lut_codes.to(torch.int64).reshape(-1, self.out_len)
        idx = win + (torch.arange(self.num_subspaces) * self.num_prototypes)[:, None]
        acc = torch.zeros(b, self.out_len, dtype=torch.int64)
        for j in range(self.num_subspaces):
            acc += flat[idx[j]]
        return acc.to(torch.float32) * torch.tensor(self.lut_scale, dtype=torch.float32) + self.qbias

    def pecan_attrs(self) -> dict:
        """The PECAN attributes of the exchange format (requires :meth:`freeze`)."""
        if not self.frozen:
            raise PecanError(f"{self.__class__.__name__}: not frozen; call freeze() before export")
        return {"mode": self.mode, "num_subspaces": self.num_subspaces, "num_prototypes": self.num_prototypes,
                "subvector_dim": self.subvector_dim, "act_bits": self.act_bits, "act_signed": bool(self.act_signed),
                "act_scale": float(self.act_scale), "lut_bits": self.lut_bits, "lut_scale": float(self.lut_scale)}

    def _extra(self) -> str:
        return (f"mode={self.mode}, D={self.num_subspaces}, d={self.subvector_dim}, K={self.num_prototypes}, "
                f"T={self.temperature:g}, hard={self.hard}, act_bits={self.act_bits}, lut_bits={self.lut_bits}, "
                f"frozen={self.frozen}")


class PecanLinear(_PecanBase):
    """PECAN replacement of ``nn.Linear`` (in_features split into subvectors of length d)."""

    def __init__(self, in_features: int, out_features: int, *, subvector_dim: int = 4, num_prototypes: int = 16,
                 mode: str = "distance", temperature: float = 1.0, act_bits: int = 8, lut_bits: int = 8,
                 bias: bool = True) -> None:
        super().__init__(in_features, out_features, subvector_dim, num_prototypes, mode, temperature,
                         act_bits, lut_bits, bias)
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_vectors(x)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, " + self._extra()


class PecanConv2d(_PecanBase):
    """PECAN replacement of ``nn.Conv2d`` (groups=1, dilation=1) on im2col vectors (order ci,kh,kw).

    Default ``subvector_dim`` = kh·kw: one subspace per input channel (D = in_channels).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int], *,
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
                 subvector_dim: int | None = None, num_prototypes: int = 16, mode: str = "distance",
                 temperature: float = 1.0, act_bits: int = 8, lut_bits: int = 8, bias: bool = True) -> None:
        ks = nn.modules.utils._pair(kernel_size)
        d = subvector_dim or ks[0] * ks[1]
        super().__init__(in_channels * ks[0] * ks[1], out_channels, d, num_prototypes, mode, temperature,
                         act_bits, lut_bits, bias)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = ks
        self.stride = nn.modules.utils._pair(stride)
        self.padding = nn.modules.utils._pair(padding)
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, *ks))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        oh = (h + 2 * self.padding[0] - self.kernel_size[0]) // self.stride[0] + 1
        ow = (w + 2 * self.padding[1] - self.kernel_size[1]) // self.stride[1] + 1
        cols = F.unfold(x, self.kernel_size, padding=self.padding, stride=self.stride)  # N, L, P
        v = cols.transpose(1, 2).reshape(n * oh * ow, -1)
        y = self.forward_vectors(v)
        return y.reshape(n, oh * ow, self.out_channels).transpose(1, 2).reshape(n, self.out_channels, oh, ow)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, " + self._extra())


PECAN_TYPES = (PecanLinear, PecanConv2d)


def pecan_modules(model: nn.Module) -> list[_PecanBase]:
    """All PECAN layers of a model, in module order."""
    return [m for m in model.modules() if isinstance(m, PECAN_TYPES)]


def codebook_loss(model: nn.Module) -> torch.Tensor:
    """Sum of the PECAN layers' codebook losses from the last training forward (0 if none)."""
    terms = [m.codebook_loss for m in pecan_modules(model) if m.codebook_loss is not None]
    return torch.stack(terms).sum() if terms else torch.zeros(())


def set_temperature(model: nn.Module, temperature: float) -> None:
    for m in pecan_modules(model):
        m.temperature = float(temperature)


def set_dense(model: nn.Module, dense: bool) -> None:
    """Dense warm-up mode: PECAN layers compute ``W·x + b`` (prototypes are seeded when it ends)."""
    for m in pecan_modules(model):
        m.dense = bool(dense)


def set_hard(model: nn.Module, hard: bool) -> None:
    """Straight-through hard assignment in training (forward = inference assignment)."""
    for m in pecan_modules(model):
        m.hard = bool(hard)


@torch.no_grad()
def seed_prototypes(model: nn.Module, inputs: torch.Tensor, max_vectors: int = 8192, batch_size: int = 512) -> None:
    """k-means seeding of every PECAN layer, in order, from its inputs over the whole ``inputs``
    (eval mode; earlier layers already use their prototypes, later ones run dense). Uses torch's RNG."""
    mods = pecan_modules(model)
    was_training, dense = model.training, [m.dense for m in mods]
    model.eval()
    for m in mods:
        m.dense = True
    try:
        for m in mods:
            m.capture = []
            for i in range(0, len(inputs), batch_size):
                model(inputs[i:i + batch_size])
            vecs, m.capture = torch.cat(m.capture), None
            if len(vecs) > max_vectors:
                vecs = vecs[torch.randperm(len(vecs))[:max_vectors]]
            m.init_prototypes(vecs)
            m.dense = False
    finally:
        for m, d in zip(mods, dense):
            m.dense, m.capture = d, None
        model.train(was_training)


@torch.no_grad()
def calibrate(model: nn.Module, inputs: torch.Tensor, batch_size: int = 512) -> None:
    """Record every PECAN layer's input range on ``inputs`` (float path, model left in eval)."""
    mods = pecan_modules(model)
    hooks = []
    for m in mods:
        m.act_min.fill_(float("inf"))
        m.act_max.fill_(float("-inf"))

        def hook(mod, args):
            mod.act_min.fill_(min(float(mod.act_min), float(args[0].min())))
            mod.act_max.fill_(max(float(mod.act_max), float(args[0].max())))
        hooks.append(m.register_forward_pre_hook(hook))
    was_frozen = [m.frozen for m in mods]
    for m in mods:
        m.frozen = False
    model.eval()
    try:
        for i in range(0, len(inputs), batch_size):
            model(inputs[i:i + batch_size])
    finally:
        for h in hooks:
            h.remove()
        for m, f in zip(mods, was_frozen):
            m.frozen = f


def freeze_model(model: nn.Module) -> nn.Module:
    """Freeze (quantize) every PECAN layer and switch the model to eval."""
    for m in pecan_modules(model):
        m.freeze()
    return model.eval()
