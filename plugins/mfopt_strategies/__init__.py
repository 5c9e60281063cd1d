"""First-party proposal strategies for mfopt (``gated``)."""
