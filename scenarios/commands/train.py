"""``codesign train``: train a digits CNN variant (baseline, PECAN-A, PECAN-D) and export it to HDF5.

``codesign train all`` trains the three variants and prints the accuracy table of docs/pecan.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a digits CNN (baseline / PECAN-A / PECAN-D) and export it to HDF5",
        description="Train on scikit-learn digits (offline), freeze/quantize PECAN layers and export the "
        "model with golden vectors and the test set (docs/format.md). 'all' trains the three variants "
        "and prints a markdown accuracy table.",
    )
    p.add_argument("variant", choices=["baseline", "pecan_a", "pecan_d", "all"], help="network variant")
    p.add_argument("--epochs", type=int, default=None, help="training epochs (default: the variant's default)")
    p.add_argument("--seed", type=int, default=0, help="random seed (weights, batches)")
    p.add_argument("-o", "--output", type=Path, default=None,
                   help="output HDF5 file (default: runs/train/<variant>.h5; with 'all': a folder, default runs/train)")
    p.add_argument("--golden", type=int, default=64, help="number of golden test inputs stored in the file")
    p.add_argument("--no-progress", action="store_true", help="disable the progress bar")
    p.set_defaults(func=handler)


def _train_one(variant: str, args: argparse.Namespace, path: Path) -> dict:
    import torch

    from codesign.models.data.digits import load_digits_split
    from codesign.models.export import export_model
    from codesign.models.train import train_digits

    model, metrics = train_digits(variant, epochs=args.epochs, seed=args.seed, progress=not args.no_progress)
    split = load_digits_split(seed=metrics["config"]["split_seed"])
    n = max(1, min(args.golden, len(split.x_test)))
    meta = {k: v for k, v in metrics.items() if isinstance(v, (int, float, str, bool))}
    meta["dataset"] = "sklearn digits"
    meta["torch_version"] = torch.__version__
    export_model(model, path, golden_inputs=split.x_test[:n], golden_labels=split.y_test[:n],
                 test_inputs=split.x_test, test_labels=split.y_test, name=f"digits-{variant}", metadata=meta)
    print(f"{variant}: test accuracy {metrics['test_accuracy'] * 100:.2f}% "
          f"({'quantized hard inference' if metrics['quantized'] else 'float'}), "
          f"trained {metrics['epochs']} epochs in {metrics['train_time_s']:.1f} s -> {path}")
    return metrics


def handler(args: argparse.Namespace) -> int:
    from codesign.scenarios.outputs import prepare_output, prepare_output_file

    if args.output is not None:  # checked before training starts
        (prepare_output if args.variant == "all" else prepare_output_file)(args.output, "-o/--output")
    if args.variant != "all":
        _train_one(args.variant, args, args.output or Path("runs/train") / f"{args.variant}.h5")
        return 0
    outdir = args.output or Path("runs/train")
    rows = []
    for v in ("baseline", "pecan_a", "pecan_d"):
        m = _train_one(v, args, outdir / f"{v}.h5")
        rows.append((v, m))
    print()
    print("| variant | test accuracy | float (unquantized) accuracy | epochs | train time (s) |")
    print("|---|---|---|---|---|")
    for v, m in rows:
        print(f"| {v} | {m['test_accuracy'] * 100:.2f}% | {m['float_test_accuracy'] * 100:.2f}% | {m['epochs']} "
              f"| {m['train_time_s']:.1f} |")
    return 0
