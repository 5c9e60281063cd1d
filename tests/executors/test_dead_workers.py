"""An evaluation that kills its evaluator fails its own point only: the process pool is rebuilt
and the run goes on; ``sys.exit`` in a serial objective is a failed evaluation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mfopt_executors.process import ProcessExecutor, WorkerDied

from mfopt import Fidelity, Status, Study
from tests.core.helpers import hf_problem
from tests.executors.dying import dies_above, exits_above, threads, value_or_death


def test_a_dead_worker_fails_its_own_evaluation_and_the_pool_goes_on() -> None:
    executor = ProcessExecutor(3)
    try:
        futures = [executor.submit(value_or_death, x) for x in [1.0, -1.0, 2.0, 3.0, 200.0, 4.0]]
        outcomes = []
        for f in futures:
            try:
                outcomes.append(f.result(timeout=120))
            except WorkerDied:
                outcomes.append("died")
        assert outcomes == [1.0, "died", 2.0, 3.0, "died", 4.0]
        assert executor.submit(value_or_death, 5.0).result(timeout=120) == 5.0  # still usable
    finally:
        executor.shutdown()


def test_workers_limit_torch_threads() -> None:
    executor = ProcessExecutor(2)
    try:
        expected = max(1, (os.cpu_count() or 1) // 2)
        assert executor.submit(threads).result(timeout=120) == expected
    finally:
        executor.shutdown()


def test_process_study_with_a_dying_objective_finishes(tmp_path: Path) -> None:
    config = {
        "budget": {"max_evaluations": 8},
        "design": {"samples": {"high": 5}, "seed": 0},
        "acquisition": {"name": "logei", "num_restarts": 2, "raw_samples": 64},
        "executor": {"name": "process", "workers": 2},
    }
    result = Study(config, problem=hf_problem(dies_above), run_dir=tmp_path).run()
    assert result.evaluations == 8 and result.stop_reason == "max_evaluations"
    study = Study(config, problem=hf_problem(dies_above), run_dir=tmp_path, resume=True)
    observations = study.store.observations()
    died = [o for o in observations if o.status is Status.FAILED]
    assert died and all(o.x[0] > 0.8 and "the evaluator died" in (o.error or "") for o in died)
    assert all(o.ok for o in observations if o.x[0] <= 0.8)
    study.close()


def test_sys_exit_in_a_serial_objective_is_a_failed_evaluation(tmp_path: Path) -> None:
    config = {"budget": {"max_evaluations": 7}, "design": {"samples": {"high": 5}, "seed": 0}}
    study = Study(config, problem=hf_problem(exits_above), run_dir=tmp_path)
    result = study.run()
    assert result.evaluations == 7
    failed = [o for o in study.store.observations() if o.status is Status.FAILED]
    assert failed and all("sys.exit(3)" in (o.error or "") for o in failed)
    study.close()


@pytest.mark.parametrize("value", [1e200, -1e200])
def test_values_beyond_the_limit_are_failed_evaluations(value: float) -> None:
    from mfopt.data import Candidate
    from mfopt.evaluation import VALUE_LIMIT, evaluate_candidate
    from mfopt.problem import FunctionProblem

    assert VALUE_LIMIT == 1e150
    problem = FunctionProblem(
        "huge", [[0.0], [1.0]], {"high": lambda X: X[..., 0] * 0 + value}, [Fidelity("high", 1.0)]
    )
    obs = evaluate_candidate(problem, Candidate((0.5,), "high", 1))
    assert obs.status is Status.FAILED and "beyond the representable range" in (obs.error or "")
