"""First-party executors for mfopt."""
