"""``benchmarks/optimisation.py``'s Done-when lines name each failing pair with the reason: the ratio
to HF-only and its p-value on a hurting pair, Δ and the p-value against always-fuse on a helpful one."""

from __future__ import annotations

import statistics

from tests.scripts import load_benchmark

optimisation = load_benchmark("optimisation")


def result(pair: str, group: str, regrets: dict[str, list[float]], delta: dict[str, float]) -> object:
    by_seed = {s: dict(enumerate(v)) for s, v in regrets.items()}
    r = optimisation.PairResult(pair, 0.0, by_seed, group=group, label_seeds=6)
    for s, v in by_seed.items():
        r.median[s] = statistics.median(v.values())
        r.p_vs_hf[s] = optimisation.paired_wilcoxon(v, by_seed["hf-only"])
    r.delta.update(delta)
    return r


def test_failing_pairs_are_named_with_their_reason() -> None:
    hf = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    hurt_bad = result("HurtBad", "hurts", {"hf-only": hf, "robust": [2 * v for v in hf]}, {})
    hurt_ok = result("HurtOk", "hurts", {"hf-only": hf, "robust": [1.02 * v for v in hf[:3]] + hf[3:]}, {})
    # robust reaches HF-only's quality late (Δ 0.1) and ends above always-fuse on every seed
    help_bad = result(
        "HelpBad", "helps", {"hf-only": hf, "always": [0.1 * v for v in hf], "robust": [0.5 * v for v in hf]},
        {"robust": 0.1},
    )  # fmt: skip
    help_ok = result("HelpOk", "helps", {"hf-only": hf, "always": hf, "robust": hf}, {"robust": 0.5})
    lines = optimisation.done_when([hurt_bad, hurt_ok, help_bad, help_ok])
    assert lines[0] == (
        "hurts (2 pairs): robust median regret <= 1.05 x hf-only and not significantly worse: 1/2 "
        "(fails: HurtBad 2x p 0.03)"
    )
    assert lines[1] == (
        "helps (2 pairs): robust Δ >= 0.4 and not significantly worse than always: 1/2 "
        "(fails: HelpBad Δ 0.10 worse than always p 0.03)"
    )


def test_reach_says_where_a_strategys_cost_went_before_it_reached_hf_only_quality() -> None:
    """``--reach``: the cost quartiles at which the runs first reached HF-only's median final regret
    (the half is Δ's C), the runs that never did, and the target evaluations and cheap cost by then
    (each trace entry is one target evaluation at cost 1 with the cost spent so far)."""

    def row(strategy: str, seed: int, trace: list[tuple[float, float]]) -> dict[str, object]:
        return {"pair": "P", "strategy": strategy, "seed": seed, "trace": trace, "best": trace[-1][1]}

    hf_traces = [[(1.0, 5.0), (2.0, 3.0)], [(1.0, 4.0), (2.0, 2.0)], [(1.0, 6.0), (2.0, 4.0)]]
    rows = [row("hf-only", k, t) for k, t in enumerate(hf_traces)]  # final regrets 3, 2, 4: median 3
    rows += [
        row("robust", 0, [(1.3, 5.0), (2.5, 2.5)]),  # reaches 3 at its 2nd target point, 0.5 cheap by then
        row("robust", 1, [(1.2, 3.0)]),  # at its 1st, 0.2 cheap
        row("robust", 2, [(1.0, 9.0), (2.0, 8.0)]),  # never
    ]
    result = optimisation.PairResult("P", 0.0, {"hf-only": {0: 3.0, 1: 2.0, 2: 4.0}, "robust": {}})
    result.regrets["robust"] = {0: 2.5, 1: 3.0, 2: 8.0}
    result.median["hf-only"] = 3.0
    r = optimisation.reach(rows, result, "robust", 1.0)
    assert r is not None
    assert r.quartiles == (1.2, 2.5, float("inf"))
    assert r.never == 1
    assert r.target_evaluations == 1.5
    assert abs(r.cheap_cost - 0.35) < 1e-12
    hf = optimisation.reach(rows, result, "hf-only", 1.0)
    assert hf is not None and hf.quartiles == (2.0, 2.0, float("inf")) and hf.cheap_cost == 0.0
    assert optimisation.reach(rows, result, "always", 1.0) is None
    table = optimisation.reach_table(rows, [result], ["hf-only", "robust", "always"], {"P": 1.0})
    assert table.splitlines()[-1].split() == ["P", "robust", "1.2", "2.5", "inf", "1", "1.5", "0.35"]
    # after a one-point design: the 2nd target evaluation of the two robust runs that made one
    assert optimisation.after_design(rows, result, "robust", 1, 5) == [(2.25, 5.25)]
    table = optimisation.reach_table(rows, [result], ["robust"], {"P": 1.0}, {"P": 1})
    assert table.splitlines()[-1].split() == ["P", "robust", "2.2/5.2"]
