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
    q = sub.add_parser("paper", help="the paper's settings: 256 px skimage images, 70/80/90%% missing, HaLRTC vs "
                       "C2F (5 scales, 5-px zero padding) vs skip-scale C2F; PSNR/SSIM and a verdict")
    q.add_argument("-o", "--outdir", type=Path, default=Path("runs/complete/paper"),
                   help="output folder (default runs/complete/paper)")
    q.add_argument("--size", type=int, default=256, help="image side in pixels (default 256, the paper's)")
    q.add_argument("--images", default="astronaut,coffee,chelsea", help="comma-separated skimage images")
    q.add_argument("--ratios", default="0.7,0.8,0.9", help="comma-separated missing ratios (default 0.7,0.8,0.9)")
    q.add_argument("--seed", type=int, default=0, help="seed of the masks and pseudo-observations")
    q.add_argument("--jobs", type=int, default=2, help="worker processes, one BLAS thread each (default 2)")
    q.set_defaults(func=_paper, outputs=[("outdir", "dir", "-o/--outdir")])
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


def _paper(args) -> int:
    from codesign.optics.completion import CompletionInputError
    from codesign.scenarios.completion.images import IMAGE_NAMES
    from codesign.scenarios.completion.paper import run_paper

    if args.size < 64:
        raise CompletionInputError("--size: expected at least 64 px (16 x 16 patches of >= 4 px)")
    images = [n.strip() for n in args.images.split(",") if n.strip()]
    for n in images:
        if n not in IMAGE_NAMES + ("chelsea",):
            raise CompletionInputError(f"--images: unknown image {n!r}; expected some of {', '.join(IMAGE_NAMES + ('chelsea',))}")
    try:
        ratios = [float(r) for r in args.ratios.split(",") if r.strip()]
    except ValueError:
        raise CompletionInputError(f"--ratios: expected comma-separated fractions, got {args.ratios!r}") from None
    if not ratios or not all(0 < r < 1 for r in ratios):
        raise CompletionInputError(f"--ratios: expected fractions in (0, 1), got {args.ratios!r}")
    _, text = run_paper(args.outdir, images=images, ratios=ratios, size=args.size, seed=args.seed, jobs=max(1, args.jobs))
    print(text)
    print(f"wrote {args.outdir}/paper.md, paper.csv")
    return 0


def _opm(args) -> int:
    from codesign.scenarios.completion.opm import run_opm

    run_opm(args.outdir, scenario=args.scenario, quick=args.quick, seed=args.seed, progress=_progress(args))
    print((Path(args.outdir) / "opm.md").read_text())
    print(f"wrote {args.outdir}/opm.csv, opm.md, opm.png")
    return 0
