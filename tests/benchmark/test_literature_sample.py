"""benchmarks/literature_sample.py --remaining: the unfinished sample, uncovered families first."""

from __future__ import annotations

from tests.scripts import load_benchmark


def test_remaining_puts_the_cheapest_instance_of_each_uncovered_family_first() -> None:
    ls = load_benchmark("literature_sample")
    chosen = [
        ("ToalBranin0.30", 8, 16),  # family ToalBranin: covered below
        ("LiuAckley20", 40, 80),  # family LiuAckley20 (d = 20): none finished
        ("ToalBranin0.50", 4, 8),  # ToalBranin, bucket <=0.5: covered
        ("LiuAckley20", 80, 80),  # LiuAckley20, cheaper n_h at the same n_l comes first
        ("ShiDettePepelyshev", 16, 64),  # family ShiDettePepelyshev (d = 8): none finished
        ("ShiDettePepelyshev", 32, 32),
        ("ToalBranin0.70", 16, 16),  # ToalBranin, bucket =1: not covered
        ("ToalBranin0.20", 48, 96),  # n_l > 60, covered stratum: after the cheaper one below
        ("ToalBranin0.90", 40, 80),  # n_l > 60: last
        ("ToalBranin0.10", 2, 8),  # bucket <=0.25: not covered
    ]
    done = {("ToalBranin0.50", 4, 8), ("ToalBranin0.00", 6, 12)}
    order = ls.remaining(chosen, done)
    assert order == [
        ("ShiDettePepelyshev", 32, 32),  # uncovered families, cheapest instance each, cheapest first
        ("LiuAckley20", 40, 80),
        ("ToalBranin0.10", 2, 8),  # n_l <= 60: uncovered (family, B^r bucket) strata first, cheapest first
        ("ToalBranin0.70", 16, 16),
        ("ToalBranin0.30", 8, 16),  # then the rest in the sample's order
        ("ShiDettePepelyshev", 16, 64),  # n_l > 60: uncovered strata, then the rest cheapest first
        ("LiuAckley20", 80, 80),
        ("ToalBranin0.90", 40, 80),  # the rest cheapest first (n_l 80 before 96)
        ("ToalBranin0.20", 48, 96),
    ]
