"""PyTorch twin of the crossbar non-ideality model (docs/nonideal.md) and hardware-aware fine-tuning."""
