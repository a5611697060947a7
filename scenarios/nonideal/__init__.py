"""Non-ideality study: accuracy-vs-knob sweeps of CAM and crossbar device effects (docs/nonideal.md)."""
