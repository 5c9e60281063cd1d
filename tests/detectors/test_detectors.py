"""Each detector's decision on crafted samples that hit each rule, through the real registry."""

from __future__ import annotations

import math

import numpy as np
import pytest
from detector_samples import dataset, grid_1d, nested, ref_pearson2, scatter_2d

from mfopt import ConfigError, Dataset, Decision, get_plugin_manager
from mfopt.testing import check_detector

DETECTORS = ("guideline", "guideline-code", "toal-cc", "always", "never")


def assess(name: str, data: Dataset, **options: float) -> Decision:
    detector = get_plugin_manager().detectors.create(name, **options)
    return check_detector(detector, data)


def good(n: int, extra_low: int) -> Dataset:
    """The cheap source equals the target on ``n`` points of [0, 1]; ``extra_low`` LF-only points."""
    U = grid_1d(n)
    y = np.sin(4 * U[:, 0]) + U[:, 0]
    return nested(U, y, y.copy(), extra_low)


def alternating() -> Dataset:
    """f_h = x, f_l alternates 0/1: interior neighbourhoods (3 points) are uncorrelated, LCC = 0."""
    U = grid_1d(8)
    return nested(U, U[:, 0].copy(), np.arange(8) % 2 * 1.0, extra_low=8)


def perturbed_2d(amplitude: float, k: float) -> Dataset:
    U = scatter_2d()
    x = U.sum(axis=1)
    y_h = np.sin(4 * x) + x
    return nested(U, y_h, y_h + amplitude * np.cos(k * U[:, 0]), extra_low=10)


def perturbed_1d() -> Dataset:
    U = grid_1d(8)
    x = U[:, 0]
    y_h = np.sin(4 * x) + x
    return nested(U, y_h, y_h + 0.3 * np.cos(11 * x), extra_low=8)


def test_every_detector_is_registered_and_meets_the_contract() -> None:
    pm = get_plugin_manager()
    for name in DETECTORS:
        assert name in pm.detectors
        decision = assess(name, good(8, 8))
        assert decision.detector == name
        assert (decision.source, decision.target) == ("low", "high")


@pytest.mark.parametrize(
    ("data", "rule", "use_low"),
    [
        (good(18, 18), "guideline.1a: B_h^r >= 18", False),
        (good(8, 0), "guideline.1b: n_h = n_l", False),
        (alternating(), "guideline.1c: LCC_0.4 <= 0.7", False),
        (good(8, 8), "guideline.2a: LCC_0.95 >= 0.5", True),
        (perturbed_2d(0.55, 3.0), "guideline.2b: adj. R2_L >= 0.4", True),
        (perturbed_2d(0.35, 5.0), "guideline.3a: B_h^r <= 5", True),
        (perturbed_1d(), "guideline.3b: B_h^r > 5", False),
    ],
    ids=["1a", "1b", "1c", "2a", "2b", "3a", "3b"],
)
def test_guideline_rules(data: Dataset, rule: str, use_low: bool) -> None:
    decision = assess("guideline", data)
    assert decision.rule == rule
    assert decision.use_low is use_low
    assert ("used (Co-Kriging)" if use_low else "ignored (Kriging)") in decision.reason
    assert "LCC_root_0.4" in decision.features and "R2_L" in decision.features


def test_guideline_conditions_hold_for_the_crafted_samples() -> None:
    f = assess("guideline", alternating()).features
    assert f["LCC_root_0.4"] == pytest.approx(0.25)  # only the two edge points (pairs) are correlated
    f = assess("guideline", perturbed_2d(0.55, 3.0)).features
    assert f["LCC_root_0.4"] > 0.7 and f["LCC_root_0.95"] < 0.5 and f["R2_L"] >= 0.4
    f = assess("guideline", perturbed_2d(0.35, 5.0)).features
    assert f["LCC_root_0.4"] > 0.7 and f["LCC_root_0.95"] < 0.5 and f["R2_L"] < 0.4 and f["B_h_r"] == 5


def test_guideline_reason_carries_the_numbers() -> None:
    decision = assess("guideline", alternating())
    assert "LCC_root_0.4 = 0.25 <= 0.7" in decision.reason
    assert "'low'" in decision.reason


def test_more_hf_than_lf_points_counts_as_rule_1b() -> None:
    U = grid_1d(8)
    y = U[:, 0] ** 2
    data = dataset(U.tolist(), y.tolist(), U[:6].tolist(), y[:6].tolist())
    assert assess("guideline", data).rule == "guideline.1b: n_h = n_l"


def test_undefined_features_never_fire_a_rule() -> None:
    # Two matched points: every LCC and R2 is NaN, so rules 1c, 2a and 2b are not met and rule 3 decides.
    data = dataset([[0.2], [0.8]], [1.0, 2.0], [[0.2], [0.8], [0.5], [0.1]], [1.0, 2.0, 0.0, 0.0])
    decision = assess("guideline", data)
    assert math.isnan(decision.features["LCC_root_0.4"])
    assert decision.rule == "guideline.3a: B_h^r <= 5" and decision.use_low


@pytest.mark.parametrize(
    ("data", "rule", "use_low"),
    [
        (good(20, 20), "guideline-code.1a: B_h^r >= 20", False),
        (good(8, 0), "guideline-code.1b: B^r >= 1", False),
        (alternating(), "guideline-code.1c: LCC_0.5 <= 0.7", False),
        (good(8, 8), "guideline-code.2a: LCC_0.9 >= 0.8", True),
        (perturbed_2d(0.55, 3.0), "guideline-code.2b: adj. R2_LI >= 0.6", True),
        (perturbed_2d(0.35, 5.0), "guideline-code.3a: B_h^r <= 6", True),
        (perturbed_1d(), "guideline-code.3b: B_h^r > 6", False),
    ],
    ids=["1a", "1b", "1c", "2a", "2b", "3a", "3b"],
)
def test_guideline_code_rules(data: Dataset, rule: str, use_low: bool) -> None:
    decision = assess("guideline-code", data)
    assert (decision.rule, decision.use_low) == (rule, use_low)


def test_the_two_rule_sets_differ_at_18_points_per_dimension() -> None:
    data = good(18, 18)
    assert not assess("guideline", data).use_low
    code = assess("guideline-code", data)
    assert code.use_low and code.rule.startswith("guideline-code.2a")


def toal_sample() -> Dataset:
    # y_h = 0..4, y_l swaps two values: r = 9/10, CC = 0.81
    x = [[0.1], [0.3], [0.5], [0.7], [0.9]]
    return dataset(x, [0.0, 1.0, 2.0, 3.0, 4.0], x, [0.0, 2.0, 1.0, 3.0, 4.0])


def test_toal_cc_default_and_conservative_thresholds() -> None:
    assert ref_pearson2([0.0, 2.0, 1.0, 3.0, 4.0], [0.0, 1.0, 2.0, 3.0, 4.0]) == pytest.approx(0.81)
    default = assess("toal-cc", toal_sample())
    assert default.use_low and default.rule == "toal.cc: CC >= 0.7"
    assert "CC = 0.81 >= 0.7" in default.reason
    conservative = assess("toal-cc", toal_sample(), threshold=0.9)
    assert not conservative.use_low and conservative.rule == "toal.cc: CC < 0.9"


def test_toal_cc_with_undefined_cc_ignores_the_source() -> None:
    data = dataset([[0.2], [0.8]], [1.0, 2.0], [[0.2], [0.8]], [1.0, 2.0])
    decision = assess("toal-cc", data)
    assert not decision.use_low and decision.rule == "toal.cc: CC undefined"


def test_toal_cc_rejects_a_threshold_outside_the_unit_interval() -> None:
    with pytest.raises(ConfigError, match="threshold"):
        get_plugin_manager().detectors.create("toal-cc", threshold=1.5)
    with pytest.raises(ConfigError, match="unknown option"):
        get_plugin_manager().detectors.create("guideline", threshold=0.5)


def test_baselines_ignore_the_sample() -> None:
    for data in (alternating(), good(8, 8)):
        assert assess("always", data).use_low
        assert not assess("never", data).use_low
    assert assess("never", good(8, 8)).features["B_h"] == 8.0


def test_guideline_lcc_readings_of_lone_neighbourhoods() -> None:
    # three points 0.4 apart in 1-D (radius 0.2): every neighbourhood holds only its centre
    x = [[0.1], [0.5], [0.9]]
    data = dataset(x, [0.0, 1.0, 0.0], [*x, [0.3], [0.7]], [0.0, 0.0, 0.0, 2.0, 2.0])  # 2 LF-only points
    reference = assess("guideline", data)
    assert reference.rule.startswith("guideline.2a")  # the authors' code: a lone centre counts as LCC = 1
    evidence = assess("guideline", data, lcc="evidence")
    # no evidence: LCCn undefined, R2_L = -1 (f_h - f_l = (0, 1, 0) is not linear), B_h_r = 3 <= 5
    assert evidence.rule.startswith("guideline-evidence.3a") and evidence.use_low
    assert math.isnan(evidence.features["LCCn_root_0.4"])
    with pytest.raises(ConfigError, match="lcc"):
        get_plugin_manager().detectors.create("guideline", lcc="zero")
