"""Co-Kriging's stage 1 (the cheapest level) on its own output scaling, and its reuse across fits."""

from __future__ import annotations

import pytest
import torch
from mfopt_surrogates.cokriging import CoKriging

from mfopt import Dataset, ModelFittingError, Observation, lhs
from tests.surrogates._data import branin_problem, make_data


def _with_high(data: Dataset, keep: int, a: float = 1.0, b: float = 0.0) -> Dataset:
    """The same cheap observations, the first ``keep`` HF ones with values ``a·y + b``."""
    low = [o for o in data.observations if o.fidelity == "low"]
    high = [o for o in data.observations if o.fidelity == "high"][:keep]
    high = [Observation(o.x, "high", a * float(o.value) + b) for o in high if o.value is not None]
    return Dataset(data.bounds, data.fidelities, low + high)


def _with_low(data: Dataset, a: float, b: float) -> Dataset:
    """The cheap values in other units, ``a·y_l + b``."""
    obs = [
        Observation(o.x, o.fidelity, a * float(o.value) + b) if o.fidelity == "low" else o for o in data.observations
    ]
    return Dataset(data.bounds, data.fidelities, obs)


def _stage_one(info: dict) -> tuple:
    return info["theta"][0], info["p"][0], info["neg_log_likelihood"][0], info["nugget"][0]


def test_stage_one_depends_only_on_the_cheap_data() -> None:
    """Other HF budgets and HF units used to move θ_0 (the cheap outputs were scaled by the HF range)."""
    data = make_data(branin_problem(), 20, 10)
    model = CoKriging(device="cpu", seed=3)
    reference = _stage_one(model.fit(data).info)
    for keep, a, b in ((4, 1.0, 0.0), (7, 1.0, 0.0), (10, 1e3, -50.0), (6, 1e-3, 2.0)):
        assert _stage_one(model.fit(_with_high(data, keep, a, b)).info) == reference


def test_reused_cheap_level_gives_the_same_bits_as_a_fresh_fit() -> None:
    problem = branin_problem()
    full = [make_data(problem, 20, 10, seed=s) for s in (1, 2, 3)]
    model = CoKriging(device="cpu", seed=1)
    cheap = model.fit_cheap_level(full)
    X = lhs(40, full[0].bounds, seed=5)
    for keep in (5, 8, 10):
        batch = [_with_high(d, keep) for d in full]
        fresh = model.fit_batch(batch)
        reused = model.fit_batch(batch, cheap=cheap)
        for f, r in zip(fresh, reused, strict=True):
            for fidelity in ("low", "high"):
                (mf, vf), (mr, vr) = f.predict(X, fidelity), r.predict(X, fidelity)
                assert torch.equal(mf, mr) and torch.equal(vf, vr)
            assert {k: v for k, v in f.info.items() if k != "fit_seconds"} == {
                k: v for k, v in r.info.items() if k != "fit_seconds"
            }
    # members are matched by their cheap data, not by position
    reordered = model.fit_batch(full[::-1], cheap=cheap)
    in_order = model.fit_batch(full, cheap=cheap)
    assert [_stage_one(f.info) for f in reordered] == [_stage_one(f.info) for f in in_order[::-1]]


def test_a_cheap_level_of_other_data_or_options_is_refused() -> None:
    data = make_data(branin_problem(), 20, 10)
    cheap = CoKriging(device="cpu").fit_cheap_level([data])
    with pytest.raises(ModelFittingError, match="cheap level was not fitted"):
        CoKriging(device="cpu").fit_batch([_with_low(data, 1.0, 1e-9)], cheap=cheap)
    with pytest.raises(ModelFittingError, match="cheap level was not fitted"):
        CoKriging(device="cpu", seed=4).fit_batch([data], cheap=cheap)


def test_the_cheap_sources_units_do_not_change_the_hf_prediction() -> None:
    """The cheap level on its own scaling: a cheap source in other units (ρ absorbs the factor) gives the
    same HF model up to rounding, and the scaling change keeps the fit accurate."""
    problem = branin_problem()
    data = make_data(problem, 24, 10)
    X = lhs(200, data.bounds, seed=9)
    truth = problem.evaluate(X, "high")
    model = CoKriging(device="cpu")
    base = model.fit(data)
    other = model.fit(_with_low(data, 250.0, -1e4))
    m0, m1 = base.predict(X)[0], other.predict(X)[0]
    span = float(truth.max() - truth.min())
    assert float((m0 - m1).abs().max()) < 1e-6 * span
    assert other.info["rho"][0] == pytest.approx(base.info["rho"][0] / 250.0, rel=1e-6)
    assert float(torch.corrcoef(torch.stack([m0, truth]))[0, 1]) > 0.99
