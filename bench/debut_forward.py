"""Workload — DeBut forward vs dense PyTorch layers of the same shape (same run, 1 thread).

Layers: LeNet FC1 400→128 (the paper's 5-factor chain, 7,680 params), a 1024→1024 linear
(generator, shrink level 4) and a 64→64 3×3 conv on 16×16 maps (generator, shrink level 3).
Each at batch 1 and 256, fused einsum forward (``fused=True``, the default); throughput in
samples/s, ratio = DeBut / dense. Goal: ratio ≥ 0.2 — DeBut has fewer MACs but several small
kernels per factor, so BLAS-backed dense layers usually win at these sizes; the table shows how much.
"""

from __future__ import annotations

import torch
from torch import nn

from codesign.bench.common import best_time, row
from codesign.models.debut.layers import DeButConv2d, DeButLinear
from codesign.models.debut.chain import generate_chain

PAPER_FC1 = [[256, 400, 16, 25, 1], [256, 256, 2, 2, 16], [128, 256, 1, 2, 32], [128, 128, 2, 2, 32],
             [128, 128, 2, 2, 64]]


def _layers():
    yield "linear 400→128 (paper FC1 chain)", DeButLinear(400, 128, PAPER_FC1, seed=0), nn.Linear(400, 128), (400,)
    yield ("linear 1024→1024 (shrink 4)", DeButLinear(1024, 1024, generate_chain(1024, 1024, shrink=4), seed=0),
           nn.Linear(1024, 1024), (1024,))
    yield ("conv 64→64 3×3 16×16 (shrink 3)",
           DeButConv2d(64, 64, 3, generate_chain(64, 576, shrink=3), padding=1, seed=0),
           nn.Conv2d(64, 64, 3, padding=1), (64, 16, 16))


@torch.no_grad()
def run(quick: bool = False) -> list[dict]:
    torch.set_num_threads(1)
    rows = []
    for name, ours, ref, shape in _layers():
        for batch in (1, 256):
            if quick and batch == 256 and len(shape) == 3:
                batch = 32
            x = torch.randn(batch, *shape)
            reps = 3 if quick else 10
            t_ours, _ = best_time(lambda: ours(x), repeat=reps)
            t_ref, _ = best_time(lambda: ref(x), repeat=reps)
            r = row(f"debut {name} batch {batch}", batch / t_ours, batch / t_ref, "samples/s",
                    "DeBut/dense throughput ≥ 0.2", (t_ref / t_ours) >= 0.2,
                    params_debut=ours.num_params(), params_dense=sum(p.numel() for p in ref.parameters()))
            print(f"{r['workload']}: DeBut {r['ours']:.0f} vs dense {r['reference']:.0f} samples/s, "
                  f"ratio {r['ratio']:.2f} (params {r['params_debut']:,} vs {r['params_dense']:,})")
            rows.append(r)
    return rows


if __name__ == "__main__":
    run(quick=False)
