"""The paper's surrogate study: per-instance protocol, metrics, labels."""
