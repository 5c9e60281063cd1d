"""The landscape features of the instance space: the hand-written LDA equals scikit-learn's."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mfopt.benchmark.ela import lda_fit, mmce_lda, partial_information


def _library_mmce(U: np.ndarray, y: np.ndarray) -> float:
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    labels = (y > np.quantile(y, 0.5)).astype(int)
    smallest = int(np.bincount(labels, minlength=2).min())
    if smallest < 2 or len(y) < 6:
        return math.nan
    folds = StratifiedKFold(n_splits=min(10, smallest), shuffle=True, random_state=0)
    return float(np.mean(cross_val_predict(LinearDiscriminantAnalysis(), U, labels, cv=folds) != labels))


@pytest.mark.filterwarnings("ignore:Variables are collinear")
def test_lda_decision_function_matches_scikit_learn_including_rank_deficient_samples() -> None:
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    rng = np.random.default_rng(3)
    for d, n in [(1, 6), (2, 9), (5, 7), (10, 20), (17, 8), (20, 60)]:
        U = rng.random((n, d))
        labels = np.array([0, 1] * (n // 2) + [1] * (n % 2))
        w, b = lda_fit(U, labels)
        library = LinearDiscriminantAnalysis().fit(U, labels).decision_function(U)
        np.testing.assert_allclose(U @ w + b, library, rtol=1e-8, atol=1e-8)


@pytest.mark.filterwarnings("ignore:Variables are collinear")
def test_mmce_equals_the_library_cross_validation_on_random_samples() -> None:
    rng = np.random.default_rng(0)
    for _ in range(40):
        d = int(rng.integers(1, 21))
        n = int(rng.integers(6, 8 * d + 10))
        U = rng.random((n, d))
        y = np.sin(3.0 * U @ rng.normal(size=d)) + 0.1 * rng.normal(size=n)
        assert mmce_lda(U, y) == _library_mmce(U, y)


def test_undefined_cases_are_nan() -> None:
    U = np.linspace(0.0, 1.0, 5)[:, None]
    assert math.isnan(mmce_lda(U, U[:, 0]))  # fewer than 6 points
    assert math.isnan(partial_information(U[:2], U[:2, 0]))
    assert partial_information(U, U[:, 0]) == 0.25  # one monotone run along the tour: mu = 1, n - 1 = 4


def test_landscape_features_are_shared_by_samples_with_the_same_target_data() -> None:
    from mfopt.benchmark import ela
    from mfopt.benchmark.problems import load_problem
    from mfopt.benchmark.protocol import training_data
    from mfopt.plugin.manager import get_plugin_manager

    pm = get_plugin_manager()
    a, b = (training_data(load_problem(pm, name), 6, 12, 3) for name in ("ToalBranin0.20", "ToalBranin0.80"))
    assert a.tensors(a.fidelities[0].name)[1].tolist() != b.tensors(b.fidelities[0].name)[1].tolist()
    ela._landscape.cache_clear()
    first = ela.landscape_features(a)
    second = ela.landscape_features(b)  # other cheap source, same Branin sample: served from the cache
    assert ela._landscape.cache_info().hits == 1 and first == second
    U, y = ela._hf_sample(a)
    assert first == {"MMCE_lda_0.5": mmce_lda(U, y), "M0": partial_information(U, y)}
    assert math.isfinite(first["MMCE_lda_0.5"]) and 0.0 <= first["M0"] <= 1.0
