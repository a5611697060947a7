"""The OPM tap-classifier loop (``codesign run opm-tap-cam``): optics simulator -> OPM data sets -> PyTorch
classifiers -> HDF5 -> CAM / digital / crossbar simulator, compared with the clustering TapDetector."""
