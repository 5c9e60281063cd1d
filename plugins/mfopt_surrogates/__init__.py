"""First-party surrogates for mfopt."""
