"""Image-completion experiment: base LRTC solvers vs their coarse-to-fine (C2F) versions.

``run_images`` masks offline sample images (scikit-learn ``china.jpg``/``flower.jpg``,
scikit-image astronaut/coffee) at random, completes them with HaLRTC / LRTC-TV and with C2F
around each, and writes ``images.csv``, ``images.md`` (PSNR/SSIM table), ``images.png``
(original / masked / completed) and ``convergence.png`` (PSNR per iteration and per stage).
Used by ``codesign complete images``.
"""

from __future__ import annotations

import csv
import io
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from codesign.atomic import save_figure, write_text
from codesign.optics.completion import C2F, CompletionInputError, HaLRTC, LRTCTV

IMAGE_NAMES = ("china", "flower", "astronaut", "coffee")
QUICK_IMAGES = ("china", "astronaut")
RATIOS = (0.7, 0.8, 0.9)
# patch solves keep the penalty fixed (rho = 1 on unit-norm data): with a growing penalty they run to the
# exact-interpolation limit of the nuclear norm, which over-fits small patches (docs/completion.md)
FINE_PARAMS = {"rho_growth": 1.0}


def load_image(name: str, size: int = 128) -> np.ndarray:
    """An offline sample image as float64 in [0, 1], centre-cropped square, resized to ``size``."""
    from skimage import data, transform

    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        img = load_sample_image(f"{name}.jpg")
    elif name in ("astronaut", "coffee", "chelsea"):
        img = getattr(data, name)()
    else:
        raise CompletionInputError(f"image: unknown name {name!r}; expected one of {IMAGE_NAMES + ('chelsea',)}")
    h, w = img.shape[:2]
    s = min(h, w)
    img = img[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
    return transform.resize(img / 255.0, (size, size), anti_aliasing=True)


def make_solvers(quick: bool) -> dict:
    """Base solvers of the experiment (image settings: small weight on the colour mode)."""
    it = 100 if quick else 300
    alpha = [1.0, 1.0, 1e-3]
    return {
        "HaLRTC": HaLRTC(alpha=alpha, max_iter=it, tol=0.0, ssim_every=10),
        "LRTC-TV": LRTCTV(alpha=alpha, lam=0.05, max_iter=it, tol=0.0, ssim_every=10),
    }


def _run_case(job: tuple) -> dict:
    """Worker: one image x missing ratio x base solver (base run + C2F on top of it)."""
    name, size, ratio, solver_name, quick, seed = job
    from threadpoolctl import threadpool_limits

    img = load_image(name, size)
    rng = np.random.default_rng([seed, IMAGE_NAMES.index(name), int(round(ratio * 100))])
    mask = rng.random(img.shape) >= ratio
    base = make_solvers(quick)[solver_name]
    with threadpool_limits(1):
        xb = base.complete(img, mask, reference=img, data_range=1.0, progress=False)
        c2f = C2F(base, coarse_iter=base.max_iter, fine_iter=30 if quick else 100, fine_params=FINE_PARAMS, seed=seed)
        xc = c2f.complete(img, mask, reference=img, data_range=1.0, coarse=xb, progress=False)
    return {"image": name, "missing": ratio, "solver": solver_name, "mask": mask,
            "base": xb, "c2f": np.clip(xc, 0, 1), "history": base.history_, "stages": c2f.stages_}


def run_images(out_dir, *, quick: bool = False, size: int = 128, images=None, ratios=RATIOS,
               seed: int = 0, jobs: int = 2, progress: bool | None = None) -> list[dict]:
    """Run the experiment, write the outputs into ``out_dir``, return the result rows."""
    from codesign.optics.completion._base import progress_bar

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    images = tuple(images or (QUICK_IMAGES if quick else IMAGE_NAMES[:3]))
    cases = [(n, size, r, s, quick, seed) for n in images for r in ratios for s in make_solvers(quick)]
    results = []
    bar = progress_bar(len(cases), "complete images", progress)
    try:
        if jobs > 1:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                for res in pool.map(_run_case, cases):
                    results.append(res)
                    bar.update(1)
        else:
            for case in cases:
                results.append(_run_case(case))
                bar.update(1)
    finally:
        bar.close()
    rows = [_row(r) for r in results]
    write_text(out / "images.csv", _csv(rows))
    write_text(out / "images.md", images_table(rows))
    _plot_images(results, images, out / "images.png", size)
    _plot_convergence(results, out / "convergence.png")
    return rows


def _row(res: dict) -> dict:
    st = res["stages"]
    c2f4 = next((s for s in st if s["grid"] == 8), st[-1])
    return {"image": res["image"], "missing": res["missing"], "solver": res["solver"],
            "base_psnr": st[0]["psnr"], "base_ssim": st[0]["ssim"],
            "c2f_psnr": st[-1]["psnr"], "c2f_ssim": st[-1]["ssim"],
            "c2f4_psnr": c2f4["psnr"], "c2f4_ssim": c2f4["ssim"],
            "accepted": "/".join(f"{s['accepted']}/{s['patches']}" for s in st[1:])}


def images_table(rows: list[dict]) -> str:
    """Markdown table: PSNR (dB) / SSIM of base vs C2F (5 scales) and C2F stopped after 4 scales."""
    lines = ["| image | missing | solver | base PSNR | C2F PSNR | Δ PSNR | C2F-4 PSNR | base SSIM | C2F SSIM | C2F-4 SSIM |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['image']} | {r['missing']:.0%} | {r['solver']} | {r['base_psnr']:.2f} | {r['c2f_psnr']:.2f} | "
                     f"{r['c2f_psnr'] - r['base_psnr']:+.2f} | {r['c2f4_psnr']:.2f} | {r['base_ssim']:.3f} | "
                     f"{r['c2f_ssim']:.3f} | {r['c2f4_ssim']:.3f} |")
    wins = sum(r["c2f_psnr"] >= r["base_psnr"] for r in rows)
    wins4 = sum(r["c2f4_psnr"] >= r["base_psnr"] for r in rows)
    swins = sum(r["c2f_ssim"] >= r["base_ssim"] for r in rows)
    lines.append("")
    lines.append(f"C2F PSNR ≥ base in {wins}/{len(rows)} cases (C2F-4: {wins4}/{len(rows)}); "
                 f"C2F SSIM ≥ base in {swins}/{len(rows)}.")
    return "\n".join(lines) + "\n"


def _csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    for r in rows:
        w.writerow({k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in r.items()})
    return buf.getvalue()


def _save_fig(fig, path: Path) -> None:
    save_figure(fig, path, dpi=90, bbox_inches="tight")


def _plot_images(results, images, path: Path, size: int) -> None:
    """Rows: images at the middle missing ratio; columns: original, masked, each completion."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ratio = sorted({r["missing"] for r in results})[len({r["missing"] for r in results}) // 2]
    solvers = list(dict.fromkeys(r["solver"] for r in results))
    cols = 2 + 2 * len(solvers)
    fig, axes = plt.subplots(len(images), cols, figsize=(2 * cols, 2.1 * len(images)), squeeze=False)
    for i, name in enumerate(images):
        sel = {r["solver"]: r for r in results if r["image"] == name and r["missing"] == ratio}
        first = next(iter(sel.values()))
        img = load_image(name, size)
        panels = [("original", img), (f"{ratio:.0%} missing", np.where(first["mask"], img, 0.0))]
        for s in solvers:
            st = sel[s]["stages"]
            panels.append((f"{s} {st[0]['psnr']:.1f} dB", np.clip(sel[s]["base"], 0, 1)))
            panels.append((f"C2F-{s} {st[-1]['psnr']:.1f} dB", sel[s]["c2f"]))
        for j, (title, im) in enumerate(panels):
            axes[i, j].imshow(im)
            axes[i, j].set_title(title, fontsize=7)
            axes[i, j].axis("off")
    _save_fig(fig, path)


def _plot_convergence(results, path: Path) -> None:
    """PSNR per base iteration, then per C2F stage, for every case."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.5))
    for r in results:
        label = f"{r['image']} {r['missing']:.0%} {r['solver']}"
        a1.plot(r["history"]["psnr"], lw=0.8, label=label)
        a2.plot([s["grid"] for s in r["stages"]], [s["psnr"] for s in r["stages"]], marker="o", lw=0.8)
    a1.set(xlabel="iteration", ylabel="PSNR (dB)", title="base solver")
    a2.set(xlabel="patches per side (1 = coarse)", ylabel="PSNR (dB)", title="C2F stages", xscale="log", xticks=[1, 2, 4, 8, 16])
    a2.set_xticklabels(["1", "2", "4", "8", "16"])
    a1.legend(fontsize=5, ncol=2)
    _save_fig(fig, path)
