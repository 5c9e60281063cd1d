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
