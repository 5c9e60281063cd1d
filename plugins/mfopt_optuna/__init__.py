"""mfopt inside Optuna: :class:`MfoptSampler` and :func:`suggest_fidelity` (see sampler.py)."""

from mfopt_optuna.sampler import FIDELITY_ATTR, LEVEL_ATTR, MfoptSampler, suggest_fidelity

__all__ = ["FIDELITY_ATTR", "LEVEL_ATTR", "MfoptSampler", "suggest_fidelity"]
