"""The study loop: ask/tell, failures, budget accounting, stopping rules, recommendation."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfopt import Dataset, FittedSurrogate, MfoptError, PluginManager, Registry, Status, Study, Surrogate
from mfopt.plugin import hookimpl
from mfopt.store import RunStore
from tests.core.helpers import forrester, fragile, hf_problem


def test_ask_tell_drives_the_study_from_outside(tmp_path: Path) -> None:
    study = Study({"budget": {"max_evaluations": 7}, "run": {"seed": 3}}, problem=hf_problem(), run_dir=tmp_path)
    design = study.ask()
    assert len(design) == 3 and all(c.fidelity == "high" and c.id for c in design)
    import torch

    for c in design:
        study.tell(c, float(forrester(torch.tensor([c.x]))[0]))
    told = 3
    while batch := study.ask():
        assert len(batch) == 1 and 0.0 <= batch[0].x[0] <= 1.0
        study.tell(batch[0], float(forrester(torch.tensor([batch[0].x]))[0]))
        told += 1
    assert told == 7 and study.stop_reason() == "max_evaluations"
    best = study.best()
    assert best is not None and best.value == min(o.value for o in study.dataset.successful())
    assert best.value < -2.0  # LogEI on Kriging closes in on the optimum (-6.02) in 4 steps
    with pytest.raises(MfoptError, match="not asked"):
        study.tell(design[0], 1.0)
    study.close()
    assert len(RunStore.open(tmp_path).observations()) == 7


def test_failing_evaluations_are_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    config = {"budget": {"max_evaluations": 12}, "design": {"samples": {"high": 6}, "seed": 0}}
    study = Study(config, problem=hf_problem(fragile), run_dir=tmp_path)
    # force a raising and a NaN point into the design by telling them through ask/tell first
    result = study.run()
    observations = study.store.observations()
    assert result.evaluations == 12 and len(observations) == 12
    failed = [o for o in observations if o.status is Status.FAILED]
    for o in failed:
        assert o.value is None and ("solver diverged" in (o.error or "") or "nan" in (o.error or ""))
    assert result.best is not None and result.best.status is Status.OK


def test_raise_and_nan_become_failed_observations() -> None:
    from mfopt.data import Candidate
    from mfopt.evaluation import evaluate_candidate

    problem = hf_problem(fragile)
    bad = evaluate_candidate(problem, Candidate((0.95,), "high", 1))
    nan = evaluate_candidate(problem, Candidate((0.47,), "high", 2))
    good = evaluate_candidate(problem, Candidate((0.2,), "high", 3))
    assert bad.status is Status.FAILED and "RuntimeError: solver diverged" in (bad.error or "")
    assert nan.status is Status.FAILED and "nan" in (nan.error or "")
    assert good.ok and good.gradient is not None and good.cost == 1.0


def test_budget_is_never_overspent_with_uneven_costs(tmp_path: Path) -> None:
    study = Study({"budget": {"total": 5.0}}, problem=hf_problem(cost=0.7), run_dir=tmp_path)
    result = study.run()
    assert result.cost_spent <= 5.0 + 1e-9
    assert result.cost_spent == pytest.approx(0.7 * 7)
    assert result.stop_reason == "budget"
    assert result.best is not None and result.best.fidelity == "high"


def test_target_value_stops_the_run_early(tmp_path: Path) -> None:
    study = Study({"budget": {"max_evaluations": 30, "target": 0.0}}, problem=hf_problem(), run_dir=tmp_path)
    result = study.run()
    assert result.stop_reason == "target"
    assert result.best is not None and result.best.value is not None and result.best.value <= 0.0
    assert result.evaluations < 30


def test_existing_run_needs_resume(tmp_path: Path) -> None:
    Study({"budget": {"max_evaluations": 4}}, problem=hf_problem(), run_dir=tmp_path).close()
    with pytest.raises(MfoptError, match="already holds a run"):
        Study({"budget": {"max_evaluations": 4}}, problem=hf_problem(), run_dir=tmp_path)


def test_resume_refuses_a_different_configuration(tmp_path: Path) -> None:
    Study({"budget": {"max_evaluations": 4}}, problem=hf_problem(), run_dir=tmp_path).close()
    with pytest.raises(MfoptError, match=r"different \[acquisition\]"):
        Study(
            {"budget": {"max_evaluations": 4}, "acquisition": {"name": "lcb"}},
            problem=hf_problem(),
            run_dir=tmp_path,
            resume=True,
        )


def test_resume_with_another_configuration_is_a_usage_error(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mfopt.cli import main

    (in_tmp / "p.toml").write_text("[problem]\nname = 'SongToalForretal0.50'\n[budget]\nmax_evaluations = 4\n")
    assert main(["optimize", "p.toml", "--quiet"]) == 0
    (in_tmp / "p.toml").write_text(
        "[problem]\nname = 'SongToalForretal0.50'\n[budget]\nmax_evaluations = 6\n[acquisition]\nname = 'lcb'\n"
    )
    assert main(["optimize", "p.toml", "--resume", "--quiet"]) == 2
    assert "different [acquisition] section" in capsys.readouterr().err


def test_elapsed_time_is_stored_with_every_outcome(tmp_path: Path) -> None:
    study = Study({"budget": {"max_evaluations": 3}}, problem=hf_problem(), run_dir=tmp_path)
    import torch

    for c in study.ask():
        study.tell(c, float(forrester(torch.tensor([c.x]))[0]))
    assert study.store.meta()["elapsed"] > 0.0


def test_in_memory_study_without_run_dir() -> None:
    result = Study({"budget": {"max_evaluations": 5}}, problem=hf_problem()).run()
    assert result.evaluations == 5 and result.run_dir is None


def test_gradient_surrogates_train_without_imputed_failures(tmp_path: Path) -> None:
    config = {
        "budget": {"max_evaluations": 9},
        "design": {"samples": {"high": 6}, "seed": 0},
        "surrogate": {"name": "gradient-rbf", "n_starts": 2},
    }
    study = Study(config, problem=hf_problem(fragile), run_dir=tmp_path)
    result = study.run()
    assert result.evaluations == 9
    assert any(o.status is Status.FAILED for o in study.store.observations())
    assert all(o.gradient is not None for o in study.store.observations() if o.ok)


class _Unfittable(Surrogate):
    multi_fidelity = True

    def __init__(self, device: str = "auto", seed: int = 0) -> None:
        pass

    def fit(self, data: Dataset) -> FittedSurrogate:
        raise RuntimeError("singular matrix")


class _UnfittablePlugin:
    @hookimpl
    def mfopt_register_surrogates(self, registry: Registry) -> None:
        registry.register("unfittable", _Unfittable)


def test_a_surrogate_that_fails_to_fit_falls_back_and_the_run_goes_on(tmp_path: Path) -> None:
    pm = PluginManager([("unfittable-plugin", _UnfittablePlugin())])
    config = {
        "problem": {"name": "SongToalForretal0.00"},
        "budget": {"max_evaluations": 11},
        "design": {"samples": {"low": 6, "high": 3}},
        "multi_surrogate": {"name": "unfittable"},
        "detector": {"name": "always"},
    }
    with pytest.warns(RuntimeWarning, match="'unfittable' failed to fit: RuntimeError: singular matrix"):
        result = Study(config, plugin_manager=pm, run_dir=tmp_path).run()
    assert result.evaluations == 11
    store = RunStore.open(tmp_path)
    iterations = store.iterations()
    assert iterations and all(it["surrogate"] == "kriging" for it in iterations)
    assert all("singular matrix" in it["info"]["fit_errors"][0] for it in iterations)
