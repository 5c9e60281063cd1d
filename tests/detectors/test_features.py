"""Every feature pinned to values computed independently (literal hand values or plain loops)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from detector_samples import dataset, ref_adj_r2, ref_lcc, ref_pearson2, ref_wcc, scatter_2d
from mfopt_detectors.features import P_LEVELS, compute_features, feature_names, local_weights, weighted_cc

from mfopt import Observation


def test_three_point_sample_by_hand() -> None:
    # y_h = (0, 1, 0), y_l = (0, 1, 1): r = (1/3) / (2/3) = 0.5, CC = r^2 = 0.25.
    data = dataset([[0.0], [0.5], [1.0]], [0.0, 1.0, 0.0], [[0.0], [0.5], [1.0]], [0.0, 1.0, 1.0])
    f = compute_features(data)
    assert f["CC"] == pytest.approx(0.25)
    assert f["RMSE"] == pytest.approx(math.sqrt(1 / 3))
    assert f["RRMSE"] == pytest.approx(math.sqrt(1 / 3) / 1.0)
    # rho = 0.2 (d = 1, and 0.2^(1/1) = 0.2): the points are 0.5 apart, each neighbourhood holds its
    # centre only: the paper's formula is 0/0, the authors' code returns 1 (perfect correlation).
    for label in ("0.2", "root"):
        assert all(f[f"LCC_{label}_{p:g}"] == 1.0 for p in P_LEVELS)
        assert f[f"LCC_{label}_mean"] == 1.0
        assert f[f"LCC_{label}_sd"] == 0.0
        assert f[f"LCC_{label}_coeff"] == 0.0
    # ... and the "no evidence" reading leaves every LCCn statistic undefined
    assert all(math.isnan(v) for k, v in f.items() if k.startswith("LCCn_"))
    # difference f_h - f_l = (0, 0, -1) on x = (0, 0.5, 1): slope -1, R2 = 0.75, adj = 1 - 0.25 * 2/1 = 0.5
    assert f["R2_L"] == pytest.approx(0.5)
    assert f["R2_LI"] == pytest.approx(0.5)  # d = 1 has no pairwise interactions
    assert (f["B_h"], f["B_l"], f["B_h_r"], f["B_l_r"], f["B_r"], f["d"], f["n"]) == (3, 3, 3, 3, 1, 1, 3)


def test_weights_are_max_zero_one_minus_distance_over_rho() -> None:
    U = np.array([[0.0, 0.0], [0.1, 0.0], [0.3, 0.4], [1.0, 1.0]])
    W = local_weights(U, 0.5)
    rho = 0.5 * math.sqrt(2)
    assert W[0, 1] == pytest.approx(1 - 0.1 / rho)
    assert W[0, 2] == pytest.approx(1 - 0.5 / rho)
    assert W[1, 2] == pytest.approx(1 - math.sqrt(0.2**2 + 0.4**2) / rho)
    assert W[0, 3] == 0.0  # beyond rho: clipped at 0 (max, not the paper's misprinted min)
    assert np.allclose(np.diag(W), 1.0)
    assert np.allclose(W, W.T)


def test_weighted_cc_matches_loops_and_uniform_weights_give_squared_pearson() -> None:
    rng = np.random.default_rng(3)
    y_l, y_h = rng.normal(size=7), rng.normal(size=7)
    W = rng.uniform(0.0, 1.0, size=(4, 7))
    got = weighted_cc(y_l, y_h, W)
    for k in range(4):
        assert got[k] == pytest.approx(ref_wcc(y_l.tolist(), y_h.tolist(), W[k].tolist()), rel=1e-12)
    assert weighted_cc(y_l, y_h, np.ones((1, 7)))[0] == pytest.approx(ref_pearson2(y_l.tolist(), y_h.tolist()))


def test_all_features_match_independent_loops_on_a_2d_sample_in_a_scaled_box() -> None:
    U = scatter_2d()
    lb, ub = np.array([-2.0, 10.0]), np.array([2.0, 30.0])
    X = lb + U * (ub - lb)
    y_h = np.sin(3 * U[:, 0]) + U[:, 1] ** 2
    y_l = 0.8 * y_h + 0.3 * np.cos(5 * U[:, 1]) + 0.2 * U[:, 0]
    extra_X = [[1.5, 29.0], [-1.9, 11.0]]  # LF-only points: counted in B_l, not in the sample
    data = dataset(X.tolist(), y_h.tolist(), [*X.tolist(), *extra_X], [*y_l.tolist(), 0.0, 0.0], [lb, ub])
    f = compute_features(data)
    yl, yh, Ul = y_l.tolist(), y_h.tolist(), U.tolist()
    assert f["CC"] == pytest.approx(ref_pearson2(yl, yh), rel=1e-12)
    rmse = math.sqrt(sum((a - b) ** 2 for a, b in zip(yl, yh, strict=True)) / 10)
    assert f["RMSE"] == pytest.approx(rmse)
    assert f["RRMSE"] == pytest.approx(rmse / (max(yh) - min(yh)))
    for label, r in (("0.2", 0.2), ("root", 0.2**0.5)):
        lcc = ref_lcc(Ul, yl, yh, r)
        for p in P_LEVELS:
            assert f[f"LCC_{label}_{p:g}"] == pytest.approx(sum(v >= p for v in lcc) / 10)
        mean = sum(lcc) / 10
        sd = math.sqrt(sum((v - mean) ** 2 for v in lcc) / 9)
        assert f[f"LCC_{label}_mean"] == pytest.approx(mean, rel=1e-10)
        assert f[f"LCC_{label}_sd"] == pytest.approx(sd, rel=1e-10)
        assert f[f"LCC_{label}_coeff"] == pytest.approx(sd / mean, rel=1e-10)
    diff = [b - a for a, b in zip(yl, yh, strict=True)]
    assert f["R2_L"] == pytest.approx(ref_adj_r2(Ul, diff, False), rel=1e-9)
    assert f["R2_LI"] == pytest.approx(ref_adj_r2(Ul, diff, True), rel=1e-9)
    assert f["R2_L"] != pytest.approx(f["R2_LI"])
    assert (f["B_h"], f["B_l"], f["B_h_r"], f["B_l_r"], f["d"]) == (10, 12, 5, 6, 2)
    assert f["B_r"] == pytest.approx(10 / 12)


def test_the_radii_differ_in_two_dimensions() -> None:
    U = scatter_2d()
    y_h = U[:, 0] + np.sin(6 * U[:, 1])
    y_l = U[:, 0] - np.sin(6 * U[:, 1])
    f = compute_features(dataset(U.tolist(), y_h.tolist(), U.tolist(), y_l.tolist()))
    assert f["LCC_0.2_mean"] == pytest.approx(sum(ref_lcc(U.tolist(), y_l.tolist(), y_h.tolist(), 0.2)) / 10)
    assert f["LCC_root_mean"] == pytest.approx(sum(ref_lcc(U.tolist(), y_l.tolist(), y_h.tolist(), 0.2**0.5)) / 10)
    assert f["LCC_0.2_mean"] != pytest.approx(f["LCC_root_mean"])


def test_names_are_stable_and_complete() -> None:
    names = feature_names(2)
    assert names[:4] == ["n", "CC", "RMSE", "RRMSE"]
    assert "LCC_0.2_0.975" in names and "LCC_root_0.4" in names and "LCC_root_coeff" in names
    assert "LCCn_root_0.4" in names and "LCCn_root_coeff" in names
    assert names[-8:] == ["R2_L", "R2_LI", "B_h", "B_l", "B_h_r", "B_l_r", "B_r", "d"]
    assert len(names) == 4 + 3 * (len(P_LEVELS) + 3) + 2 + 6


# --- edge cases ------------------------------------------------------------------------------


def test_constant_high_fidelity_gives_zero_correlations_and_nan_rrmse() -> None:
    x = [[0.1], [0.4], [0.5], [0.6], [0.9]]
    f = compute_features(dataset(x, [2.0] * 5, x, [0.0, 1.0, 3.0, 2.0, 5.0]))
    assert f["CC"] == 0.0
    # radius 0.2: 0.1 and 0.9 are lone centres (1 by the authors' code), 0.4-0.6 see a flat f_h (0)
    assert f["LCC_root_mean"] == pytest.approx(0.4) and f["LCC_root_0.1"] == pytest.approx(0.4)
    assert f["LCCn_root_mean"] == 0.0 and f["LCCn_root_0.1"] == 0.0
    assert math.isnan(f["RRMSE"])
    assert math.isfinite(f["RMSE"])


def test_constant_low_fidelity_gives_zero_correlations() -> None:
    x = [[0.1], [0.4], [0.5], [0.6], [0.9]]
    f = compute_features(dataset(x, [0.0, 1.0, 3.0, 2.0, 5.0], x, [0.1] * 5))
    assert f["CC"] == 0.0
    assert f["LCC_0.2_mean"] == pytest.approx(0.4)  # two lone centres count 1, three flat f_l give 0


def test_fewer_than_three_points_leaves_correlations_and_models_undefined() -> None:
    f = compute_features(dataset([[0.2], [0.8]], [1.0, 2.0], [[0.2], [0.8], [0.5]], [1.5, 2.0, 0.0]))
    for name in ("CC", "LCC_root_0.4", "LCC_0.2_mean", "LCC_root_sd", "R2_L", "R2_LI"):
        assert math.isnan(f[name]), name
    assert f["RMSE"] == pytest.approx(math.sqrt(0.125))
    assert f["RRMSE"] == pytest.approx(math.sqrt(0.125))
    assert (f["B_h"], f["B_l"], f["n"]) == (2, 3, 2)


def test_linear_model_needs_more_than_d_plus_one_points() -> None:
    U = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]  # n = d + 1 = 3
    f = compute_features(dataset(U, [0.0, 1.0, 3.0], U, [0.5, 0.0, 1.0]))
    assert math.isnan(f["R2_L"]) and math.isnan(f["R2_LI"])
    assert f["CC"] == pytest.approx(ref_pearson2([0.5, 0.0, 1.0], [0.0, 1.0, 3.0]))
    U4 = [*U, [1.0, 1.0]]  # n = 4: linear (p = 2) defined, with the interaction (p = 3) not
    f4 = compute_features(dataset(U4, [0.0, 1.0, 3.0, 2.0], U4, [0.5, 0.0, 1.0, 1.0]))
    assert f4["R2_L"] == pytest.approx(ref_adj_r2(U4, [-0.5, 1.0, 2.0, 1.0], False))
    assert math.isnan(f4["R2_LI"])


def test_a_constant_offset_is_a_perfect_linear_fit() -> None:
    x = [[0.1], [0.3], [0.5], [0.7], [0.9]]
    y_h = [1.0, 4.0, -2.0, 0.5, 3.0]
    f = compute_features(dataset(x, y_h, x, [v - 7.0 for v in y_h]))
    assert f["R2_L"] == 1.0 and f["R2_LI"] == 1.0
    assert f["CC"] == pytest.approx(1.0)
    assert f["RMSE"] == pytest.approx(7.0)


def test_points_are_matched_by_x_and_repeats_averaged() -> None:
    # HF at 0.9 has no LF partner: counted in B_h, left out of the sample; LF at 0.5 twice: averaged.
    X_h = [[0.1], [0.5], [0.7], [0.9]]
    X_l = [[0.1], [0.5], [0.5], [0.7], [0.3]]
    f = compute_features(dataset(X_h, [1.0, 2.0, 0.0, 9.0], X_l, [1.0, 1.0, 3.0, 4.0, 0.0]))
    assert (f["n"], f["B_h"], f["B_l"]) == (3, 4, 4)
    assert f["CC"] == pytest.approx(ref_pearson2([1.0, 2.0, 4.0], [1.0, 2.0, 0.0]))


def test_more_than_two_fidelities_is_rejected() -> None:
    from mfopt import Dataset, Fidelity

    data = Dataset(np.array([[0.0], [1.0]]), (Fidelity("a", 0.2), Fidelity("b", 0.5), Fidelity("c", 1.0)))
    with pytest.raises(ValueError, match="exactly 2 fidelities"):
        compute_features(data)


def test_lone_centres_are_left_out_of_the_no_evidence_statistics() -> None:
    # d = 1, radius 0.2: x = 0, 0.05, 0.1 are neighbours of one another, x = 0.9 is alone.
    x = [0.0, 0.05, 0.1, 0.9]
    y_h, y_l = [0.0, 1.0, 0.0, 5.0], [0.0, 1.0, 1.0, -3.0]
    data = dataset([[v] for v in x], y_h, [[v] for v in x], y_l)
    f = compute_features(data)
    weights = [[max(0.0, 1.0 - abs(a - b) / 0.2) for b in x] for a in x]
    grouped = [ref_wcc(y_l, y_h, w) for w in weights[:3]]  # the three centres with neighbours
    assert all(0.0 < v < 1.0 for v in grouped)
    assert f["LCC_root_mean"] == pytest.approx((sum(grouped) + 1.0) / 4)  # the lone centre counts as 1
    assert f["LCCn_root_mean"] == pytest.approx(sum(grouped) / 3)  # ... or is left out
    assert f["LCC_root_0.975"] == 0.25 and f["LCCn_root_0.975"] == 0.0


def test_features_are_cached_on_the_sample_content_and_returned_as_copies() -> None:
    data = dataset([[0.0], [0.5], [1.0]], [0.0, 1.0, 0.0], [[0.0], [0.5], [1.0]], [0.0, 1.0, 1.0])
    first = compute_features(data)
    first["CC"] = -5.0  # a caller's edit must not reach the cache
    again = compute_features(dataset([[0.0], [0.5], [1.0]], [0.0, 1.0, 0.0], [[0.0], [0.5], [1.0]], [0.0, 1.0, 1.0]))
    assert again["CC"] == pytest.approx(0.25)
    # one value changed, or one observation added: the features are computed afresh
    changed = compute_features(dataset([[0.0], [0.5], [1.0]], [0.0, 1.0, 0.0], [[0.0], [0.5], [1.0]], [0.0, 1.0, 0.0]))
    assert changed["CC"] == pytest.approx(1.0)
    data.observations.append(Observation((0.25,), "high", 0.5))
    data.observations.append(Observation((0.25,), "low", 0.5))
    grown = compute_features(data)
    assert (grown["n"], again["n"]) == (4.0, 3.0)
