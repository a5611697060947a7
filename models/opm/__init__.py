"""codesign.models.opm: OPM data sets (read with h5py, validated; no import of codesign.optics), windows with
per-window labels split by simulated day, and small supervised tap classifiers (1-D CNN, PECAN-D)."""
