"""First-party problems: literature bi-fidelity pairs, generated pairs, SOLAR, user problems."""
