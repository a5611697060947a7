"""Data loaders: scikit-learn digits, generated shapes/CIFAR-style images (no downloads)."""
