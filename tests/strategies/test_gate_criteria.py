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
