"""Reference networks: digits CNNs (baseline / PECAN), LeNets, ResNets."""
