"""examples/hpo: the tasks are deterministic and the ask/tell example runs with a reduced budget."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import EXAMPLES

sys.path.insert(0, str(EXAMPLES / "hpo"))
import ask_tell
import with_optuna
from tasks import TASKS


@pytest.mark.parametrize("name", sorted(TASKS))
def test_tasks_are_deterministic_and_the_full_run_is_better_on_average(name: str) -> None:
    task = TASKS[name]
    params = {
        "mlp_digits": {"lr": 1e-2, "alpha": 1e-4, "hidden": 32, "activation": "relu"},
        "hgb_cancer": {"learning_rate": 0.1, "l2": 1e-3, "max_leaf_nodes": 15, "max_depth": "3"},
    }[name]
    (_, low), (_, high) = task.levels.items()
    cheap, _ = task.run(params, low, 0)
    full, seconds = task.run(params, high, 0)
    again = task.run(params, high, 0)[0]
    assert again == full and 0.0 <= full < cheap < 1.0 and seconds > 0, (cheap, full, again, seconds)


def test_ask_tell_example_reduced(capsys: pytest.CaptureFixture[str]) -> None:
    out = ask_tell.main(["--task", "mlp_digits", "--budget", "9"])
    printed = capsys.readouterr().out
    assert "best validation error" in printed and "gate:" in printed
    assert out["best"]["value"] < 0.1  # a tuned MLP on digits errs on fewer than 1 in 10 images
    assert out["spent"]["e32"] > 0 and out["spent"]["e4"] > 0 and sum(out["spent"].values()) <= 9 + 1e-9
    assert set(out["best"]["params"]) == {"lr", "alpha", "hidden", "activation"}


def test_optuna_example_reduced_with_two_jobs(capsys: pytest.CaptureFixture[str]) -> None:
    out = with_optuna.main(["--task", "mlp_digits", "--budget", "9", "--n-jobs", "2"])
    printed = capsys.readouterr().out
    assert "best validation error" in printed and "gate:" in printed
    assert out["best"].user_attrs["mfopt_fidelity"] == "e32" and out["best"].value < 0.1
    assert out["spent"]["e32"] > 0 and out["spent"]["e4"] > 0 and out["decisions"]
    assert {t.user_attrs["mfopt_fidelity"] for t in out["trials"]} == {"e4", "e32"}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TASKS))
def test_full_examples(name: str) -> None:
    first = ask_tell.main(["--task", name, "--budget", "20"])
    second = with_optuna.main(["--task", name, "--budget", "20", "--n-jobs", "2"])
    assert first["best"]["value"] < 0.1 and second["best"].value < 0.1
