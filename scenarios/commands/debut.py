"""``codesign debut {table,chain,hw,pointnet}``: DeBut results at reduced scale, chain generator, crossbar costs,
the All-DeBut PointNet study."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("debut", help="DeBut layers: accuracy table, chain generator, crossbar comparison",
                       description="Deformable-butterfly (DeBut) layers: reduced-scale LeNet/digits results, "
                       "the chain generator, and dense vs DeBut costs on simulated crossbars.")
    s = p.add_subparsers(dest="debut_cmd", metavar="ACTION")

    t = s.add_parser("table", help="LeNet/digits: baseline vs DeBut vs low-rank (params, MACs, accuracy)")
    t.add_argument("--quick", action="store_true", help="fewer epochs and one seed (about a minute)")
    t.add_argument("--seeds", type=int, default=None, help="training seeds to average (default 3, quick 1)")
    t.add_argument("--json", type=Path, default=None, help="also write the rows and chains to this JSON file")
    t.set_defaults(func=_table, outputs=[("json", "file", "--json")])

    c = s.add_parser("chain", help="generate dense DeBut chains for an OUT×IN matrix")
    c.add_argument("out_size", type=int, help="output size (rows; conv: out channels)")
    c.add_argument("in_size", type=int, help="input size (columns; conv: in_channels·kh·kw)")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--budget", type=int, default=None, help="parameter budget (chain params ≤ budget)")
    g.add_argument("--shrink", type=int, default=None, help="shrink level L: budget = in·out / 2**L")
    c.add_argument("--mode", choices=("mono", "bulge", "any"), default="mono", help="chain shape (default mono)")
    c.add_argument("-n", type=int, default=3, help="number of chains to list (best first)")
    c.add_argument("--max-factors", type=int, default=8, help="most factors in a chain")
    c.add_argument("--pad", action="store_true", help="allow zero-padding sizes to a 7-smooth size")
    c.set_defaults(func=_chain)

    h = s.add_parser("hw", help="dense vs DeBut LeNet on the same crossbar technology (energy, latency, area, accuracy)")
    h.add_argument("--quick", action="store_true", help="short training (about a minute)")
    h.add_argument("--limit", type=int, default=None, help="score only the first N test images")
    h.add_argument("--tech", default="reram_1t1r",
                   help="crossbar technology: shipped name (default reram_1t1r) or path to your own JSON file")
    h.add_argument("--json", type=Path, default=None, help="also write the rows to this JSON file")
    h.add_argument("--out", type=Path, default=None, help="keep the exported HDF5 models in this folder")
    h.set_defaults(func=_hw, outputs=[("out", "dir", "--out"), ("json", "file", "--json")])
    _register_pointnet(s)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def _register_pointnet(s: argparse._SubParsersAction) -> None:
    n = s.add_parser("pointnet", help="All-DeBut PointNet (≤ 5 %% params) vs SVD/pruning, and its hardware costs",
                     description="Train a PointNet on generated 3-D shapes (or ModelNet40 from --data-dir), "
                     "convert every conv/linear to DeBut chains, compare with equal-parameter SVD low-rank and "
                     "magnitude pruning over seeds, and simulate dense vs All-DeBut on digital and crossbar targets.")
    n.add_argument("--quick", action="store_true", help="tiny data set, few epochs, one seed (about a minute)")
    n.add_argument("--seeds", type=int, default=None, help="training seeds (default 3; quick 1)")
    n.add_argument("--data-dir", type=Path, default=None,
                   help="folder with the ModelNet40 HDF5 release (ply_data_train*.h5, ply_data_test*.h5)")
    n.add_argument("--tech", default="reram_1t1r",
                   help="crossbar technology: shipped name (default reram_1t1r) or path to your own JSON file")
    n.add_argument("--epochs", type=int, default=None, help="epochs of the dense and random-init runs (default 20)")
    n.add_argument("--ft-epochs", type=int, default=None, help="fine-tuning epochs after a swap (default 12)")
    n.add_argument("--jobs", type=int, default=1, help="train the seeds in this many processes (one thread each)")
    n.add_argument("--json", type=Path, default=None, help="also write the rows to this JSON file")
    n.add_argument("--out", type=Path, default=None, help="keep the exported HDF5 models in this folder")
    n.set_defaults(func=_pointnet, outputs=[("out", "dir", "--out"), ("json", "file", "--json")])


def _write_json(path: Path, obj) -> None:
    from codesign.atomic import write_json

    write_json(path, obj, default=str)


def _table(args: argparse.Namespace) -> int:
    from codesign.scenarios.debut.table import format_table, rows_as_dicts, run_table

    rows, info = run_table(quick=args.quick, seeds=args.seeds)
    info.pop("models", None)
    print(format_table(rows))
    print(f"\nFC1 parameters removed: {info['fc1_removed_pct']:.2f}% (chain, input side first: {info['fc1_chain']})")
    print(f"low-rank ranks: FC1 only {info['fc1-ranks']}; CONV2+FC1+FC2 {info['c2f1f2-ranks']}")
    print("accuracy right after the swap, before fine-tuning: "
          + ", ".join(f"{k.removesuffix('-noft')} {100 * v:.1f}%" for k, v in info["no_finetune_acc"].items()))
    print(f"all-DeBut chains: {info['all_debut_chains']}")
    print(f"epochs: {info['epochs']}; accuracy = mean over {rows[0].seeds} seed(s) on the 360-image digits test split")
    if args.json:
        _write_json(args.json, {"rows": rows_as_dicts(rows), "info": info})
    return 0


def _chain(args: argparse.Namespace) -> int:
    from codesign.models.debut.chain import generate_chains

    res = generate_chains(args.out_size, args.in_size, budget=args.budget, shrink=args.shrink, mode=args.mode,
                          n=args.n, max_factors=args.max_factors, pad=args.pad)
    dense = args.out_size * args.in_size
    print(f"{args.out_size}×{args.in_size} (dense {dense:,} params), mode {args.mode}; "
          "factors [p, q, r, s, t], input side first; all pass the bipolar ±1 test")
    for k, r in enumerate(res):
        print(f"{k}: params {r.params:,} ({100 * (1 - r.params / dense):.2f}% removed), widths {r.widths}"
              + (" (padded)" if r.padded else ""))
        print(f"   {r.as_lists()}")
    return 0


def _pointnet(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from codesign.cam.technology import load_technology
    from codesign.scenarios.debut.pointnet import PointNetSettings, quick_settings
    from codesign.scenarios.debut.pointnet_hw import run_study

    load_technology(args.tech)  # fail early, naming the file
    settings = quick_settings() if args.quick else PointNetSettings()
    for key in ("seeds", "epochs", "ft_epochs"):
        if getattr(args, key) is not None:
            settings = replace(settings, **{key: getattr(args, key)})
    if args.data_dir is not None:
        settings = replace(settings, data_dir=str(args.data_dir), n_train=10**9, n_test=10**9)  # the whole release
    log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
    text, raw = run_study(settings.check(), tech=args.tech, out_dir=args.out, log=log, jobs=max(1, args.jobs))
    print(text)
    if args.json:
        _write_json(args.json, raw)
    return 0


def _hw(args: argparse.Namespace) -> int:
    from codesign.cam.technology import load_technology
    from codesign.scenarios.debut.hardware import format_hw_table, run_hw

    load_technology(args.tech)  # fail early, naming the file
    rows = run_hw(quick=args.quick, limit=args.limit, tech=args.tech, out_dir=args.out)
    print(format_hw_table(rows))
    if args.json:
        _write_json(args.json, rows)
    return 0
