"""Ask/tell: clear errors for a candidate of another study, a bad value or gradient, and a study
that records its status and stop reason; the design is checked against the budget before any
store exists; observers see a frozen snapshot; values beyond 1e150 fail, and the run finishes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import torch

from mfopt import ConfigError, MfoptError, PluginManager, Status, Study
from mfopt.plugin import hookimpl
from mfopt.report import load_run
from mfopt.state import StudyState
from mfopt.store import STORE_FILE, RunStore
from tests.core.helpers import forrester, hf_problem


def _f(c: Any) -> float:
    return float(forrester(torch.tensor([c.x]))[0])


def test_telling_a_candidate_of_another_study_is_an_error(tmp_path: Path) -> None:
    one = Study({"budget": {"max_evaluations": 5}, "run": {"seed": 1}}, problem=hf_problem(), run_dir=tmp_path / "a")
    two = Study({"budget": {"max_evaluations": 5}, "run": {"seed": 2}}, problem=hf_problem(), run_dir=tmp_path / "b")
    a, b = one.ask(), two.ask()
    with pytest.raises(MfoptError, match=rf"candidate 1 was asked by study {two.study_id}, not by this one"):
        one.tell(b[0], 1.0)
    same_seed = Study({"budget": {"max_evaluations": 5}, "run": {"seed": 1}}, problem=hf_problem())
    twin = same_seed.ask()[0]
    assert (twin.x, twin.id) == (a[0].x, a[0].id)  # the same point and id, but another study's
    with pytest.raises(MfoptError, match="not by this one"):
        one.tell(twin, 1.0)
    assert RunStore.open(tmp_path / "a", lock=False).observations() == []  # nothing stored
    one.tell(a[0], _f(a[0]))
    assert one.store.observations()[0].x == a[0].x
    one.close()
    two.close()


@pytest.mark.parametrize("value", ["1.5", True, b"1", [1.0], None.__class__])
def test_values_that_are_not_real_numbers_are_refused(value: Any) -> None:
    study = Study({"budget": {"max_evaluations": 5}}, problem=hf_problem())
    c = study.ask()[0]
    with pytest.raises(MfoptError, match="must be a real number"):
        study.tell(c, value)
    obs = study.tell(c, torch.tensor(2.5))  # a 0-d tensor is a number; the candidate is still open
    assert obs.ok and obs.value == 2.5


def test_gradient_of_the_wrong_length_is_refused() -> None:
    study = Study({"budget": {"max_evaluations": 5}}, problem=hf_problem())
    c = study.ask()[0]
    with pytest.raises(MfoptError, match="gradient has 2 components, the problem has 1"):
        study.tell(c, 1.0, gradient=[1.0, 2.0])
    assert study.tell(c, 1.0, gradient=[0.5]).gradient == (0.5,)


def test_huge_values_fail_the_point_and_the_run_and_resume_finish(tmp_path: Path) -> None:
    def huge(X):  # type: ignore[no-untyped-def]
        return torch.where(X[..., 0] > 0.5, torch.full_like(X[..., 0], 1e200), forrester(X))

    config = {"budget": {"max_evaluations": 8}, "design": {"samples": {"high": 4}, "seed": 0}}
    result = Study(config, problem=hf_problem(huge), run_dir=tmp_path).run()
    assert result.evaluations == 8
    more = {**config, "budget": {"max_evaluations": 10}}
    study = Study(more, problem=hf_problem(huge), run_dir=tmp_path, resume=True)
    assert study.run().evaluations == 10
    failed = [o for o in study.store.observations() if o.status is Status.FAILED]
    assert failed and all("beyond the representable range (|y| > 1e+150)" in (o.error or "") for o in failed)
    study.close()


def test_ask_tell_study_records_why_it_stopped(tmp_path: Path) -> None:
    study = Study({"budget": {"max_evaluations": 4}}, problem=hf_problem(), run_dir=tmp_path)
    while batch := study.ask():
        for c in batch:
            assert study.store.meta()["status"] == "running"
            study.tell(c, _f(c))
    assert study.store.meta()["status"] == "finished"
    assert study.store.meta()["stop_reason"] == "max_evaluations"
    study.close()
    result, store = load_run(tmp_path)
    assert result.stop_reason == "max_evaluations"
    store.close()


def test_design_larger_than_max_evaluations_is_refused_before_any_store(tmp_path: Path) -> None:
    config = {"budget": {"max_evaluations": 4}, "design": {"samples": {"high": 10}}}
    with pytest.raises(ConfigError, match=r"\[budget\]\.max_evaluations: the initial design alone has 10 points > 4"):
        Study(config, problem=hf_problem(), run_dir=tmp_path / "run")
    with pytest.raises(ConfigError, match=r"\[budget\]\.total: the initial design alone costs 10 > 4"):
        Study({"budget": {"total": 4}, "design": {"samples": {"high": 10}}}, problem=hf_problem(), run_dir=tmp_path)
    assert not (tmp_path / "run" / STORE_FILE).exists() and not (tmp_path / STORE_FILE).exists()


def test_design_check_from_the_command_line_leaves_no_store(in_tmp: Path) -> None:
    (in_tmp / "p.toml").write_text(
        "[problem]\nname = 'SongToalForretal0.50'\n[budget]\nmax_evaluations = 4\n[design]\nsamples = { high = 10 }\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "mfopt", "optimize", "p.toml"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 2 and "max_evaluations" in out.stderr
    assert not (in_tmp / "runs" / "p" / STORE_FILE).exists()


class _Recorder:
    def __init__(self) -> None:
        self.states: list[StudyState] = []
        self.proposed: list[int] = []

    @hookimpl
    def mfopt_study_start(self, study: StudyState) -> None:
        self.states.append(study)

    @hookimpl
    def mfopt_after_propose(self, study: StudyState, candidates: Sequence[Any]) -> None:
        self.proposed.append(len(study.pending))

    @hookimpl
    def mfopt_after_evaluate(self, study: StudyState, observations: Sequence[Any]) -> None:
        self.states.append(study)

    @hookimpl
    def mfopt_study_end(self, study: StudyState, result: Any) -> None:
        self.states.append(study)


def test_observers_get_frozen_snapshots(tmp_path: Path) -> None:
    recorder = _Recorder()
    pm = PluginManager([("recorder", recorder)])
    result = Study({"budget": {"max_evaluations": 5}}, problem=hf_problem(), plugin_manager=pm).run()
    states = recorder.states
    assert all(isinstance(s, StudyState) for s in states)
    assert [len(s.observations) for s in states] == [0, 1, 2, 3, 4, 5, 5]  # each kept its instant
    assert states[-1].result().to_dict() == json.loads(json.dumps(result.to_dict()))
    assert states[-1].stop_reason == "max_evaluations"
    assert recorder.proposed[0] == 3  # the design's candidates are pending when observers hear of them


def test_gradients_are_computed_only_when_a_model_needs_them(tmp_path: Path) -> None:
    problem = hf_problem()  # a differentiable problem: it could give gradients
    assert problem.has_gradients
    result = Study({"budget": {"max_evaluations": 5}}, problem=problem, run_dir=tmp_path / "kriging").run()
    assert result.evaluations == 5
    kriging = RunStore.open(tmp_path / "kriging", lock=False)
    assert all(o.gradient is None for o in kriging.observations())  # Kriging uses values only
    kriging.close()
