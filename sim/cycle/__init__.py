"""Cycle-approximate event engine: work items (output positions) through resources (CAM arrays, LUT
banks, crossbar tiles, the digital unit, the interconnect, DRAM) with receptive-field dependencies, line
buffers, bandwidth limits, inter-layer pipelining and DRAM reloads (docs/simulator.md)."""
