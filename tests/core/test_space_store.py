"""Named parameters in the run store: written with the candidate, read back identical; stores
written before the ``params`` column still open and gain it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mfopt.data import Candidate, Observation, Status
from mfopt.space import Categorical, Float, Int, SearchSpace
from mfopt.store import STORE_FILE, RunStore

SPACE = SearchSpace({"lr": Float(1e-5, 1e-1, log=True), "layers": Int(1, 4), "kind": Categorical(("a", "b", True))})


def test_params_round_trip_through_a_real_store_file(tmp_path: Path) -> None:
    params = {"lr": 0.000123456789012, "layers": 3, "kind": True}
    candidate = SPACE.complete(Candidate(tuple(SPACE.encode(params).tolist()), "e27"))
    store = RunStore.create(tmp_path / "run", {})
    (recorded,) = store.add_candidates([candidate], {"e27": 1.0})
    assert recorded.params == params
    store.close()
    store = RunStore.open(tmp_path / "run")
    ((pending, attempts),) = store.pending_attempts()
    assert attempts == 0
    assert pending.params == params and [type(v) for v in pending.params.values()] == [float, int, bool]
    store.complete([Observation(pending.x, "e27", 0.5, Status.OK, 1.0, id=pending.id)])
    (record,) = store.records()
    assert record["params"] == params and record["status"] == "ok" and record["value"] == 0.5
    assert record["x"] == list(candidate.x)
    store.close()


def test_a_store_without_the_params_column_opens_and_gains_it(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path / "run", {})
    store.add_candidates([Candidate((0.5,), "high")], {"high": 1.0})
    store.close()
    db = sqlite3.connect(tmp_path / "run" / STORE_FILE)
    db.execute("ALTER TABLE evaluations DROP COLUMN params")  # as written by mfopt before named parameters
    db.commit()
    db.close()
    reader = RunStore.open(tmp_path / "run", lock=False)
    assert reader.records()[0]["params"] is None and reader.records()[0]["x"] == [0.5]
    reader.close()
    store = RunStore.open(tmp_path / "run")
    assert store.pending()[0].params is None
    store.add_candidates([Candidate((0.25,), "high", params={"x0": 0.25})], {"high": 1.0})
    assert [r["params"] for r in store.records()] == [None, {"x0": 0.25}]
    store.close()
