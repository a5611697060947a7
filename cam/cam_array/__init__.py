"""CAM arrays: TCAM/MCAM array cost model, bit-packed and byte search kernels, the CAM table."""
