"""Study: PECAN / baseline digits networks on CAM and digital hardware (the default scenario)."""
