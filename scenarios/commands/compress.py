"""``codesign compress {tensor-view,ezcrop,hw}``: lightweight-CNN compression experiments (docs/compression.md)."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from codesign.atomic import write_json, write_text
from codesign.errors import CodesignError


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--full", action="store_true", help="bigger run (10k images, ResNet-14, 30 epochs; ~1 h on 2 cores)")
    p.add_argument("--seed", type=int, default=0, help="data / training seed (default 0)")
    p.add_argument("--epochs", type=int, default=None, help="base training epochs (default 10, --full 30)")
    p.add_argument("--n-train", type=int, default=None, help="training images (default 4000, --full 10000)")
    p.add_argument("--cifar-dir", type=Path, default=None,
                   help="use local CIFAR-10 python pickles from this folder instead of shapes10 (no download)")
    p.add_argument("--cache", type=Path, default=None,
                   help="folder for trained models shared by the sub-commands (default: <cache root>/compress, "
                   "see codesign --cache-dir)")
    p.add_argument("-o", "--out", type=Path, default=Path("runs/compress"), help="output folder for JSON/tables")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compress", help="kernel tensor view, shift pruning and EZCrop compression experiments",
                       description="Compression of a small ResNet on the shapes10 task (or local CIFAR-10): "
                       "tensor-view decompositions (DP/PD/PDP), ShiftResNet with shift-layer pruning, EZCrop vs "
                       "rank/L1/random channel pruning, and hardware cost on crossbars. See docs/compression.md.")
    s = p.add_subparsers(dest="experiment", metavar="EXPERIMENT", required=True)
    tv = s.add_parser("tensor-view", help="accuracy/params/MACs: dense, DP, PD, PDP ranks, ShiftResNet, pruned")
    _common(tv)
    tv.set_defaults(func=_tensor_view)
    p.set_defaults(outputs=[("out", "dir", "-o/--out")])
    ez = s.add_parser("ezcrop", help="EZCrop vs rank/L1/random at equal pruning ratios (+ score timing)")
    _common(ez)
    ez.add_argument("--ratios", default="0.5", help="comma list of per-layer channel pruning ratios (default 0.5)")
    ez.add_argument("--seeds", type=int, default=3, help="fine-tuning / random-selection seeds (default 3)")
    ez.add_argument("--n-score", type=int, default=256, help="images for EZCrop/rank scores (default 256)")
    ez.set_defaults(func=_ezcrop)
    hw = s.add_parser("hw", help="every variant → HDF5 → crossbar simulator: energy/latency/area/utilization")
    _common(hw)
    hw.add_argument("--n-eval", type=int, default=None,
                    help="test images run functionally on the crossbar simulator (default 64, --full 500)")
    hw.add_argument("--group-mapping", choices=("packed", "dense"), default="packed",
                    help="depthwise/grouped conv mapping on crossbars (default packed)")
    hw.add_argument("--adc-bits", type=int, default=8, help="crossbar column ADC resolution in bits (default 8)")
    hw.add_argument("--ideal", action="store_true", help="ideal crossbar numerics (no quantization / ADC error)")
    hw.set_defaults(func=_hw)


class CompressArgError(CodesignError, ValueError):
    """Bad ``codesign compress`` argument."""


def _cfg(args):
    from codesign.scenarios.compression.table import CompressConfig

    kw = {"seed": args.seed, "cifar_dir": str(args.cifar_dir) if args.cifar_dir else None}
    if args.epochs is not None:
        kw["epochs"] = args.epochs
    if args.n_train is not None:
        kw["n_train"] = args.n_train
    return CompressConfig.full(**kw) if args.full else CompressConfig(**kw)


def _setup():
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))


def _log(msg: str) -> None:
    print(f"[compress] {msg}", flush=True)


def _write(out: Path, name: str, obj, table: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / f"{name}.json", obj, indent=1, default=str)
    write_text(out / f"{name}.md", table + "\n")
    print(f"\nwritten: {out / (name + '.md')}, {out / (name + '.json')}")


def _cache(args) -> Path:
    """The trained-model cache folder: --cache, else ``<cache root>/compress``."""
    from codesign.scenarios.cache import cache_root

    return args.cache or cache_root() / "compress"


def _tensor_view(args) -> int:
    from codesign.scenarios.compression.table import format_tv, tensor_view_variants

    _setup()
    t0 = time.perf_counter()
    rows, _, _ = tensor_view_variants(_cfg(args), _cache(args), log=_log)
    table = format_tv(rows)
    print(table)
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    _write(args.out, "tensor_view", rows, table)
    return 0


def _ezcrop(args) -> int:
    from codesign.scenarios.compression.table import ezcrop_experiment, format_ez

    try:
        ratios = tuple(float(r) for r in args.ratios.split(","))
    except ValueError:
        raise CompressArgError(f"--ratios {args.ratios!r}: expected comma-separated numbers in (0, 1), e.g. 0.3,0.5")
    if not all(0 < r < 1 for r in ratios) or args.seeds < 1:
        raise CompressArgError(f"--ratios must lie in (0, 1) and --seeds >= 1, got {ratios} / {args.seeds}")
    _setup()
    t0 = time.perf_counter()
    rows, base, timing = ezcrop_experiment(_cfg(args), ratios, tuple(range(args.seeds)), args.n_score,
                                           _cache(args), log=_log)
    table = format_ez(rows, base, timing)
    print(table)
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    _write(args.out, "ezcrop", {"rows": rows, "base": base, "timing": timing}, table)
    return 0


def _hw(args) -> int:
    from codesign.scenarios.compression.table import ezcrop_variant, tensor_view_variants
    from codesign.scenarios.compression.hardware import format_hw, hw_table

    _setup()
    t0 = time.perf_counter()
    cfg = _cfg(args)
    _, models, data = tensor_view_variants(cfg, _cache(args), log=_log)
    models["EZCrop 50 %"] = ezcrop_variant(cfg, models["dense ResNet"], data, 0.5, _cache(args), log=_log)
    n_eval = args.n_eval if args.n_eval is not None else (500 if args.full else 64)
    rows = hw_table(models, data, n_eval=n_eval, out_dir=args.out / "hw_models",
                    group_mapping=args.group_mapping, adc_bits=args.adc_bits, ideal=args.ideal, log=_log)
    table = format_hw(rows)
    print(table)
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    _write(args.out, "hw", rows, table)
    return 0
