"""The SQLite results file: rows round-trip (NaN included), duplicates are kept once, settings must match."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pytest

from mfopt.benchmark.results import ResultsStore, Row
from mfopt.errors import ConfigError


def _row(rep: int, model: str, corr: float = 0.5) -> Row:
    return Row("P", 2, 4, 1, rep, rep, model, corr, 0.1, 0.01, {"CC": math.nan, "B_h": 2.0}, {"toal-cc": None})


def test_rows_round_trip_and_resume_bookkeeping(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    with ResultsStore(path) as store:
        assert store.add([_row(1, "kriging"), _row(1, "cokriging", math.nan)]) == 2
        assert store.add([_row(1, "kriging", 0.9)]) == 0  # an existing key is kept, not replaced
        assert store.done() == {("P", 2, 4): {(1, "kriging"), (1, "cokriging")}}
        rows = list(store.rows())
    assert [r.model for r in rows] == ["cokriging", "kriging"]
    assert math.isnan(rows[0].correlation) and rows[1].correlation == 0.5
    assert math.isnan(rows[1].features["CC"]) and rows[1].decisions == {"toal-cc": None}
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_resuming_with_another_seed_is_an_error(tmp_path: Path) -> None:
    with ResultsStore(tmp_path / "r.sqlite") as store:
        store.check_meta({"seed": "0"})
        store.check_meta({"seed": "0"})
        with pytest.raises(ConfigError, match="seed = 0, not 1"):
            store.check_meta({"seed": "1"})
