"""Suites and budgets: the paper's 30 combinations, the literature list, suite files."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfopt.benchmark.suites import LITERATURE_PAIRS, Instance, budgets, expand, suite_pairs
from mfopt.errors import ConfigError
from mfopt.plugin.manager import get_plugin_manager


def test_paper_budgets_are_the_30_combinations() -> None:
    for d in (1, 2, 10):
        pairs = budgets(d, "paper")
        assert len(pairs) == 30 == len(set(pairs))
        assert all(nh <= nl and nh % (2 * d) == 0 and nl % (4 * d) == 0 for nh, nl in pairs)
    assert (2, 4) in budgets(1, "paper") and (40, 40) in budgets(2, "paper")


def test_every_literature_pair_is_registered() -> None:
    pm = get_plugin_manager()
    assert len(LITERATURE_PAIRS) == len(set(LITERATURE_PAIRS)) == 146
    assert [p for p in LITERATURE_PAIRS if p not in pm.problems] == []


def test_suite_file_with_pairs_and_instances(tmp_path: Path) -> None:
    path = tmp_path / "suite.txt"
    path.write_text("# comment\nShiCurrinSin\nToalBranin0.50 4 8  # one instance\n\n")
    entries = suite_pairs(str(path))
    assert entries == [("ShiCurrinSin", None), ("ToalBranin0.50", (4, 8))]
    instances = expand(entries, {"ShiCurrinSin": 1, "ToalBranin0.50": 2}, "small")
    assert instances[:2] == [Instance("ShiCurrinSin", 2, 4, 1), Instance("ShiCurrinSin", 4, 8, 1)]
    assert instances[-1] == Instance("ToalBranin0.50", 4, 8, 2) and len(instances) == 5


def test_bad_suites_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="neither one of smoke"):
        suite_pairs(str(tmp_path / "missing.txt"))
    bad = tmp_path / "bad.txt"
    bad.write_text("ShiCurrinSin 8 4\n")
    with pytest.raises(ConfigError, match=r"bad\.txt:1: need 1 <= n_h <= n_l"):
        suite_pairs(str(bad))
    with pytest.raises(ConfigError, match="--budgets"):
        budgets(2, "huge")
