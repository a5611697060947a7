"""PECAN: product-quantized CAM layers (angle-based PECAN-A, distance-based PECAN-D)."""
