"""First-party detectors for mfopt."""
