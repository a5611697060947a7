"""DeBut: deformable butterfly factor chains, their generator, ALS initialization, layer swapping, export."""
