"""First-party acquisitions for mfopt."""
