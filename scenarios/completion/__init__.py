"""Study: low-rank tensor completion on images and OPM telemetry."""
