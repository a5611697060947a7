"""Study: adversarial robustness (train/eval table, frequency analysis, noisy crossbars)."""
