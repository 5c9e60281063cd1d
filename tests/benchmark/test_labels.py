"""Paired Wilcoxon labels: both labellings against scipy called directly, and their edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import wilcoxon

from mfopt.benchmark.labels import label


def _pair(shift: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.normal(0.9, 0.02, 40)
    return a, a - shift + rng.normal(0.0, 0.01, 40)


def test_paper_rule_is_the_documented_scipy_call() -> None:
    a, b = _pair(0.05)
    lab = label(a, b, "paper")
    assert lab is not None
    assert lab.p_a == pytest.approx(wilcoxon(a - b + 0.001, alternative="less").pvalue)
    assert lab.p_b == pytest.approx(wilcoxon(b - a + 0.001, alternative="less").pvalue)
    assert (lab.a_good, lab.b_good) == (True, False)


def test_code_rule_is_the_opposite_test() -> None:
    a, b = _pair(-0.05)
    lab = label(a, b, "code")
    assert lab is not None
    assert lab.p_b == pytest.approx(wilcoxon(b - a + 0.001, alternative="greater").pvalue)
    assert lab.p_b <= 0.05 < lab.p_a
    assert (lab.a_good, lab.b_good) == (False, True)


def test_identical_models_are_both_good_under_both_labellings() -> None:
    a, _ = _pair(0.0)
    for labelling in ("paper", "code"):
        lab = label(a, a.copy(), labelling)
        assert lab is not None and lab.a_good and lab.b_good


def test_code_rule_falls_back_to_the_smaller_p_value() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(0.5, 0.2, 8)
    b = a + rng.normal(-0.005, 0.2, 8)  # noisy, no model significantly better
    lab = label(a, b, "code")
    assert lab is not None
    assert lab.p_a > 0.05 and lab.p_b > 0.05
    assert (lab.a_good, lab.b_good) == (lab.p_a < lab.p_b, lab.p_b < lab.p_a)


def test_nan_repetitions_are_dropped_and_too_few_give_no_label() -> None:
    assert label([0.9, np.nan, 0.8], [0.8, 0.7, np.nan]) is None
    with pytest.raises(ValueError, match="labelling"):
        label([0.9, 0.8], [0.8, 0.7], "v2")
