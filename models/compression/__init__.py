"""Compression methods: kernel tensor view (PDP/DP/PD), shift-layer pruning, EZCrop."""
