"""Robustness: adversarial training with frequency regularization / SAR, weight averaging, attacks, frequency analysis."""
