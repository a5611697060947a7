"""`codesign complete ...`: low-rank tensor completion experiments (images, OPM telemetry)."""

from __future__ import annotations

import sys
from pathlib import Path


def register(subparsers):
    p = subparsers.add_parser("complete", help="low-rank tensor completion (HaLRTC, LRTC-TV, coarse-to-fine C2F)")
    sub = p.add_subparsers(dest="complete_command", metavar="ACTION")
    i = sub.add_parser("images", help="sample images at 70/80/90%% missing: PSNR/SSIM of base vs C2F, PNGs")
    i.add_argument("-o", "--outdir", type=Path, default=Path("runs/complete/images"),
                   help="output folder (default runs/complete/images)")
    i.add_argument("--quick", action="store_true", help="2 images, 100/30 iterations (smoke test, ~1 min)")
    i.add_argument("--size", type=int, default=128, help="image side in pixels after resizing (default 128)")
    i.add_argument("--seed", type=int, default=0, help="seed of the missing-pixel masks and pseudo-observations")
    i.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    i.add_argument("--no-progress", action="store_true", help="disable the progress bar")
    i.set_defaults(func=_images, outputs=[("outdir", "dir", "-o/--outdir")])
    o = sub.add_parser("opm", help="OPM telemetry with random and burst gaps: completion error and tap detection")
    o.add_argument("-o", "--outdir", type=Path, default=Path("runs/complete/opm"),
                   help="output folder (default runs/complete/opm)")
    o.add_argument("--quick", action="store_true", help="shorter data sets and fewer iterations (smoke test)")
    o.add_argument("--scenario", default=None,
                   help="optics scenario TOML (line, OPM, events) or shipped name (default: optics_default)")
    o.add_argument("--seed", type=int, default=0, help="seed of the simulation and of the gaps")
    o.add_argument("--no-progress", action="store_true", help="disable the progress bar")
    o.set_defaults(func=_opm, outputs=[("outdir", "dir", "-o/--outdir")], inputs=["scenario"])
    p.set_defaults(func=lambda a: (p.print_help(), 0)[1])


def _progress(args) -> bool:
    return not args.no_progress and sys.stderr.isatty()


def _images(args) -> int:
    from codesign.optics.completion import CompletionInputError
    from codesign.scenarios.completion.images import run_images

    if args.size < 64:
        raise CompletionInputError("--size: expected at least 64 px (16 x 16 patches of >= 4 px)")
    run_images(args.outdir, quick=args.quick, size=args.size, seed=args.seed, jobs=max(1, args.jobs),
               progress=_progress(args))
    print((Path(args.outdir) / "images.md").read_text())
    print(f"wrote {args.outdir}/images.csv, images.md, images.png, convergence.png")
    return 0


def _opm(args) -> int:
    from codesign.scenarios.completion.opm import run_opm

    run_opm(args.outdir, scenario=args.scenario, quick=args.quick, seed=args.seed, progress=_progress(args))
    print((Path(args.outdir) / "opm.md").read_text())
    print(f"wrote {args.outdir}/opm.csv, opm.md, opm.png")
    return 0
