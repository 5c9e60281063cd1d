"""The JSON-lines observer: a real study writes a real trail that matches its run store."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from mfopt import Study, get_plugin_manager, load_config, parse_config
from mfopt.store import RunStore
from tests.conftest import EXAMPLES


def _config(trail: Path) -> dict:
    data = tomllib.loads((EXAMPLES / "forrester.toml").read_text())
    data["observers"] = {"jsonl": str(trail)}
    # a closed gate proposes only high-fidelity points: with 0.5 left, the last one cannot be paid for
    data.update(budget={"total": 5.6}, strategy={"name": "gated"}, detector={"name": "never"})
    return data


def test_observers_plugin_is_registered() -> None:
    modules = {info.module for info in get_plugin_manager().plugins()}
    assert "mfopt_observers.plugin" in modules


def test_a_study_writes_one_line_per_evaluation_and_decision(tmp_path: Path) -> None:
    trail = tmp_path / "trail.jsonl"
    with Study(parse_config(_config(trail)), run_dir=tmp_path / "run") as study:
        result = study.run()
    lines = [json.loads(line) for line in trail.read_text().splitlines()]  # every line parses
    events = [line["event"] for line in lines]
    assert events[0] == "study_start" and events[-1] == "study_end" and events.count("study_end") == 1
    store = RunStore.open(tmp_path / "run", lock=False)
    try:
        observations, decisions = store.observations(), store.decisions()
    finally:
        store.close()
    evaluations = [line for line in lines if line["event"] == "evaluation"]
    assert len(evaluations) == len(observations) == result.evaluations
    assert sorted(e["id"] for e in evaluations) == sorted(o.id for o in observations)
    by_id = {o.id: o for o in observations}
    for e in evaluations:
        assert e["value"] == by_id[e["id"]].value and e["fidelity"] == by_id[e["id"]].fidelity
    # every stored decision reaches the observers, also those of a last proposal the budget cannot pay for
    stored = [(r.iteration, r.decision.source, r.decision.rule) for r in decisions]
    seen = [(line["iteration"], line["source"], line["rule"]) for line in lines if line["event"] == "decision"]
    assert sorted(seen) == sorted(stored) and len(seen) > 0
    unpaid = {r.iteration for r in decisions} - {o.iteration for o in observations}
    assert unpaid == {max(r.iteration for r in decisions)}, "the run should end on a proposal it cannot pay for"
    assert events.count("candidate") == len(observations)
    assert {line["study_id"] for line in lines} == {study.study_id}
    end = lines[-1]
    assert end["best_value"] == result.best.value
    assert sum(end["cost_by_fidelity"].values()) == result.cost_spent


def test_without_the_section_nothing_is_written(tmp_path: Path) -> None:
    config = load_config(EXAMPLES / "forrester.toml")
    assert config.observers is None
    with Study(config, run_dir=tmp_path / "run") as study:
        study.run()
    assert not list(tmp_path.glob("*.jsonl"))
