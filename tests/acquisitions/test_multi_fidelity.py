"""Multi-fidelity acquisitions on real fitted Kriging / Co-Kriging models."""

from __future__ import annotations

import math

import pytest
import torch
from mfopt_acquisitions.augmented_ei import AugmentedEI, LogAugmentedEI, effective_best
from mfopt_acquisitions.common import affordable, cost_model, with_level
from mfopt_acquisitions.cost_aware import MultiFidelityKG, MultiFidelityMES

from mfopt import ConfigError, Dataset, FittedSurrogate, ProposalContext, get_plugin_manager
from mfopt.testing import check_acquisition


def context(data: Dataset, q: int = 1, budget: float = math.inf, names: tuple[str, ...] = ("low", "high")):
    fids = tuple(f for f in data.fidelities if f.name in names)
    return ProposalContext(data.bounds, fids, q, budget, 0, 1)


def test_registered_with_descriptions() -> None:
    names = set(get_plugin_manager().acquisitions.names())
    assert {"augmented-ei", "mf-kg", "mf-mes", "logei", "lcb"} <= names


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        get_plugin_manager().acquisitions.create("augmented-ei", "t", nugget=-1.0)
    with pytest.raises(ConfigError):
        get_plugin_manager().acquisitions.create("mf-kg", "t", num_fantasies=0)
    with pytest.raises(ValueError):
        MultiFidelityMES(candidates=0)


def test_augmented_ei_contract(bifidelity_data: Dataset, cokriging_model: FittedSurrogate) -> None:
    check_acquisition(AugmentedEI(), cokriging_model, bifidelity_data, q=1)
    check_acquisition(AugmentedEI(num_restarts=2, raw_samples=32), cokriging_model, bifidelity_data, q=2)


def test_augmented_ei_on_single_fidelity_model_is_ei_at_target(
    bifidelity_data: Dataset, kriging_model: FittedSurrogate
) -> None:
    data = bifidelity_data.restrict(["high"])
    check_acquisition(AugmentedEI(), kriging_model, data)
    acq = LogAugmentedEI(kriging_model.model, -1.0, None, None, 1.0)
    X = torch.linspace(0.05, 0.95, 7, dtype=torch.float64).reshape(7, 1, 1)
    mean, var = kriging_model.predict(X.reshape(7, 1))
    sigma = var.clamp_min(1e-18).sqrt()
    u = (-1.0 - mean) / sigma
    normal = torch.distributions.Normal(0.0, 1.0)
    ei = sigma * (u * normal.cdf(u) + normal.log_prob(u).exp())
    assert torch.allclose(acq(X).exp(), ei, rtol=1e-6, atol=1e-12)


def test_augmented_ei_factors(bifidelity_data: Dataset, cokriging_model: FittedSurrogate) -> None:
    """log aEI(low) - log aEI(high) = log corr + log cost ratio (no nugget)."""
    model = cokriging_model.model
    X = torch.tensor([[[0.3]], [[0.62]], [[0.9]]], dtype=torch.float64)
    low = LogAugmentedEI(model, -5.0, 0.5, 1.0, 10.0)(X)
    high = LogAugmentedEI(model, -5.0, None, 1.0, 1.0)(X)
    inputs = torch.cat([with_level(X, 0.5), with_level(X, 1.0)], dim=-2)
    cov = model.posterior(inputs).distribution.covariance_matrix  # type: ignore[attr-defined]
    corr = cov[..., 0, 1] / (cov[..., 0, 0] * cov[..., 1, 1]).sqrt()
    assert torch.allclose(low - high, corr.abs().log() + math.log(10.0), atol=1e-8)


def test_effective_best_is_huangs_incumbent(
    bifidelity_data: Dataset, cokriging_model: FittedSurrogate, kriging_model: FittedSurrogate
) -> None:
    """mean(x**) with x** = argmin mean + std over every evaluated point (Huang et al. 2006, c = 1)."""
    X = torch.cat([bifidelity_data.tensors("low")[0], bifidelity_data.tensors("high")[0]])
    mean, var = cokriging_model.predict(X)
    by_hand = [(float(m + v.clamp_min(0).sqrt()), float(m)) for m, v in zip(mean, var, strict=True)]
    assert effective_best(cokriging_model, bifidelity_data) == pytest.approx(min(by_hand)[1], abs=1e-12)
    best_high = float(bifidelity_data.tensors("high")[1].min())
    assert effective_best(cokriging_model, bifidelity_data) <= best_high + 1e-6  # interpolation to ~1e-8
    # noise-free Kriging on the HF points alone: zero variance there, so x** is the best HF point
    high = bifidelity_data.restrict(["high"])
    assert effective_best(kriging_model, high) == pytest.approx(best_high, abs=1e-6)


def test_augmented_ei_never_repeats_a_sampled_point(bifidelity_data: Dataset, cokriging_model: FittedSurrogate) -> None:
    X_l, _ = bifidelity_data.tensors("low")
    acq = LogAugmentedEI(cokriging_model.model, -5.0, 0.5, 1.0, 10.0, tau=0.01)
    at_data = acq(X_l.unsqueeze(-2))
    between = acq((X_l + 0.03).clamp(0, 1).unsqueeze(-2))
    assert bool((at_data < between - 3).all())


def test_cheap_fidelity_chosen_when_it_is_nearly_free(
    bifidelity_data: Dataset, cokriging_model: FittedSurrogate
) -> None:
    proposal = AugmentedEI().propose(cokriging_model, bifidelity_data, context(bifidelity_data))
    assert proposal[0].fidelity == "low"  # rho ~ 1 on this pair and the LF costs 0.1


def test_remaining_budget_is_respected(bifidelity_data: Dataset, cokriging_model: FittedSurrogate) -> None:
    # 0.25 left: only two low-fidelity points (0.1 each) are affordable, never a high one
    proposal = AugmentedEI(num_restarts=2, raw_samples=32).propose(
        cokriging_model, bifidelity_data, context(bifidelity_data, q=4, budget=0.25)
    )
    assert [c.fidelity for c in proposal] == ["low", "low"]
    assert abs(proposal[0].x[0] - proposal[1].x[0]) > 1e-3  # the believer moved the second point
    nothing = AugmentedEI().propose(cokriging_model, bifidelity_data, context(bifidelity_data, budget=0.05))
    assert nothing == []


def test_affordable_slots(bifidelity_data: Dataset) -> None:
    options = affordable(context(bifidelity_data, q=5, budget=1.25))
    assert [(f.name, n) for f, n in options] == [("low", 5), ("high", 1)]
    assert affordable(context(bifidelity_data, budget=0.01)) == []


def test_cost_model_maps_levels_to_costs(bifidelity_data: Dataset) -> None:
    m = cost_model(bifidelity_data.fidelities)
    X = torch.tensor([[[0.2, 0.5], [0.7, 1.0]]], dtype=torch.float64)
    assert m(X).squeeze().tolist() == pytest.approx([0.1, 1.0])


def test_mf_mes_contract(bifidelity_data: Dataset, cokriging_model: FittedSurrogate) -> None:
    mes = MultiFidelityMES(candidates=200, num_restarts=2, raw_samples=32, maxiter=20)
    check_acquisition(mes, cokriging_model, bifidelity_data)
    proposal = mes.propose(cokriging_model, bifidelity_data, context(bifidelity_data, q=3, budget=1.05))
    assert 1 <= len(proposal) <= 3
    assert sum(1.0 if c.fidelity == "high" else 0.1 for c in proposal) <= 1.05 + 1e-9


def test_mf_mes_single_fidelity(bifidelity_data: Dataset, kriging_model: FittedSurrogate) -> None:
    mes = MultiFidelityMES(candidates=200, num_restarts=2, raw_samples=32, maxiter=20)
    check_acquisition(mes, kriging_model, bifidelity_data.restrict(["high"]))


@pytest.mark.slow
def test_mf_kg_contract(bifidelity_data: Dataset, cokriging_model: FittedSurrogate) -> None:
    kg = MultiFidelityKG(num_fantasies=2, num_restarts=2, raw_samples=16, maxiter=10)
    check_acquisition(kg, cokriging_model, bifidelity_data)
    proposal = kg.propose(cokriging_model, bifidelity_data, context(bifidelity_data, q=2, budget=0.15))
    assert [c.fidelity for c in proposal] == ["low"]


def test_mf_kg_single_fidelity(bifidelity_data: Dataset, kriging_model: FittedSurrogate) -> None:
    kg = MultiFidelityKG(num_fantasies=2, num_restarts=2, raw_samples=16, maxiter=10)
    check_acquisition(kg, kriging_model, bifidelity_data.restrict(["high"]))
