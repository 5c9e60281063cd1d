"""Executors: the contract, and whole studies evaluated in a process pool and on a Dask cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfopt import ConfigError, Study, get_plugin_manager
from mfopt.testing import check_executor
from tests.core.helpers import hf_problem, slow_forrester


@pytest.mark.parametrize("name", ["serial", "process"])
def test_executor_contract(name: str) -> None:
    options = {"workers": 2} if name == "process" else {}
    check_executor(get_plugin_manager().executors.create(name, **options))


def test_dask_local_cluster_contract() -> None:
    check_executor(get_plugin_manager().executors.create("dask", workers=2))


def test_bad_executor_options_are_rejected() -> None:
    with pytest.raises(
        ConfigError, match=r"p\.toml: \[executor\]\.workers: executor 'process': .*greater than or equal to 1 \(found 0"
    ):
        get_plugin_manager().executors.create("process", where="p.toml: [executor]", workers=0)


def _parallel_config(executor: dict[str, object]) -> dict[str, object]:
    return {
        "budget": {"max_evaluations": 7},
        "design": {"samples": {"high": 3}},
        "acquisition": {"name": "logei", "q": 2, "num_restarts": 2, "raw_samples": 64},
        "executor": executor,
    }


def test_study_in_a_process_pool_evaluates_batches(tmp_path: Path) -> None:
    # batch-synchronous, so the q = 2 batches are deterministic (the asynchronous default
    # proposes one point ahead as soon as a worker is free, which depends on timing)
    config = _parallel_config({"name": "process", "workers": 2, "asynchronous": False})
    study = Study(config, problem=hf_problem(slow_forrester), run_dir=tmp_path)
    result = study.run()
    assert result.evaluations == 7
    iterations = [o.iteration for o in study.store.observations()]
    assert iterations.count(1) == 2 and iterations.count(2) == 2  # q = 2 proposals per iteration
    assert all(o.ok for o in study.store.observations())


def test_study_on_a_dask_local_cluster(tmp_path: Path) -> None:
    config = _parallel_config({"name": "dask", "workers": 2})
    study = Study(config, problem=hf_problem(slow_forrester), run_dir=tmp_path)
    result = study.run()
    assert result.evaluations == 7 and result.best is not None
    assert result.best.value == min(o.value for o in study.store.observations() if o.value is not None)
