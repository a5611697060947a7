"""Reference networks: digits CNNs (baseline / PECAN), the LeNet (dense / DeBut), ResNets, the robustness CNN."""
