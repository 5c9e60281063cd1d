"""Study.add_evaluation: an evaluation made outside the loop, recorded through the public API."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfopt.config import parse_config
from mfopt.data import Status
from mfopt.errors import MfoptError
from mfopt.loop import Study
from mfopt.store import RunStore

CONFIG = {
    "problem": {"name": "SongToalForretal0.50", "costs": {"low": 0.1, "high": 1.0}},
    "budget": {"total": 20.0},
    "design": {"samples": {"high": 4}, "seed": 3},
}


def _study(tmp_path: Path) -> Study:
    return Study(parse_config(CONFIG, "test"), run_dir=tmp_path / "run")


def test_outside_evaluation_is_stored_and_drops_its_design_point(tmp_path: Path) -> None:
    with _study(tmp_path) as study:
        design = study.ask()
        assert design
    # a second study with the same seed has the same design: adding one of its points removes it
    with Study(parse_config(CONFIG, "test"), run_dir=tmp_path / "run2") as study:
        first = design[0]
        obs = study.add_evaluation(list(first.x), first.fidelity, 1.25, duration=0.5)
        assert (obs.status, obs.value, obs.fidelity, obs.duration) == (Status.OK, 1.25, first.fidelity, 0.5)
        asked = study.ask()
        assert (first.x, first.fidelity) not in {(c.x, c.fidelity) for c in asked}
        assert len(asked) == len(design) - 1
        named = study.add_evaluation({"x0": 0.5}, "high", error="crashed")
        assert named.status is Status.FAILED and named.error == "crashed"
        assert study.dataset.observations[-1].params == {"x0": 0.5}
    store = RunStore.open(tmp_path / "run2", lock=False)
    try:
        rows = {o.id: o for o in store.observations()}
    finally:
        store.close()
    assert rows[obs.id].value == 1.25 and rows[named.id].status is Status.FAILED


@pytest.mark.parametrize(
    ("point", "fidelity", "value", "message"),
    [
        ([0.5], "medium", 1.0, "unknown fidelity 'medium'"),
        ([0.5], "high", None, "needs a value"),
        ([0.5, 0.1], "high", 1.0, "expected 1 encoded values"),
        ({"y": 0.5}, "high", 1.0, "unknown \\['y'\\]"),
        (["a"], "high", 1.0, "coordinate must be a real number"),
    ],
)
def test_bad_outside_evaluation_is_refused(tmp_path: Path, point, fidelity, value, message) -> None:  # type: ignore[no-untyped-def]
    with _study(tmp_path) as study:
        with pytest.raises(MfoptError, match=message):
            study.add_evaluation(point, fidelity, value)
        assert study.dataset.observations == []
