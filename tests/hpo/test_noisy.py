"""create_study(noisy=True): the Kriging model learns a homoscedastic noise term instead of interpolating."""

from __future__ import annotations

import random

from mfopt import create_study

SPACE = {"x": {"type": "float", "low": 0.0, "high": 1.0}}


def test_a_study_declared_noisy_fits_a_noise_term() -> None:
    rng = random.Random(0)
    with create_study(SPACE, None, budget=5, seed=0, noisy=True) as study:
        assert study.study.config.surrogate.name == "kriging"
        assert study.study.config.surrogate.options == {"noise": "learn"}
        while (trial := study.ask()) is not None:
            study.tell(trial, (trial.params["x"] - 0.3) ** 2 + rng.gauss(0.0, 0.05))
        model = study.study.store.iterations()[-1]["info"]["model"]
        assert model["noise_variance"] > 0.0 and model["nugget"] > 0.0
    with create_study(SPACE, None, budget=5, seed=0) as quiet:  # not declared noisy: exact interpolation
        assert "noise" not in quiet.study.config.surrogate.options


def test_a_noisy_multi_fidelity_study_fits_a_noise_term_in_co_kriging() -> None:
    rng = random.Random(1)
    fidelities = [{"name": "low", "level": 0.1, "cost": 0.1}, {"name": "high", "level": 1.0, "cost": 1.0}]
    with create_study(SPACE, fidelities, budget=6, seed=0, noisy=True) as study:
        assert study.study.config.multi_surrogate is not None
        assert study.study.config.multi_surrogate.options == {"noise": "learn"}
        while (trial := study.ask()) is not None:
            x = trial.params["x"]
            value = (x - 0.3) ** 2 + (0.1 * x if trial.fidelity == "low" else 0.0) + rng.gauss(0.0, 0.05)
            study.tell(trial, value)
        fused = [it["info"]["model"] for it in study.study.store.iterations() if it["surrogate"] == "cokriging"]
        assert fused, "the gate never kept the cheap source: no Co-Kriging fit to check"
        assert all(len(m["noise_variance"]) == 2 for m in fused) and max(fused[-1]["noise_variance"]) > 0.0
