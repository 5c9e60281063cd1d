"""Problems by registered name or by ``module:function`` / ``file.py:function`` factory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mfopt.benchmark.problems import load_problem, portable_spec
from mfopt.cli import main
from mfopt.errors import ConfigError
from mfopt.plugin.manager import get_plugin_manager

HERE = Path(__file__).parent


def test_module_and_file_factories_load_the_same_problem() -> None:
    pm = get_plugin_manager()
    by_module = load_problem(pm, "tests.benchmark.pairs:make_pair")
    by_file = load_problem(pm, f"{HERE / 'pairs.py'}:make_pair")
    assert by_module.dim == by_file.dim == 1
    assert [f.name for f in by_file.fidelities] == ["low", "high"]
    assert load_problem(pm, "ShiCurrinSin").dim == 1


def test_relative_file_specs_become_absolute(in_tmp: Path) -> None:
    (in_tmp / "mine.py").write_text((HERE / "pairs.py").read_text())
    spec = portable_spec("mine.py:make_pair")
    assert spec == f"{in_tmp / 'mine.py'}:make_pair"
    assert load_problem(get_plugin_manager(), spec).dim == 1


def test_bad_factories_are_clear_errors() -> None:
    pm = get_plugin_manager()
    with pytest.raises(ConfigError, match="no callable 'missing'"):
        load_problem(pm, "tests.benchmark.pairs:missing")
    with pytest.raises(ConfigError, match="expected an mfopt Problem, got int"):
        load_problem(pm, "tests.benchmark.pairs:not_a_problem")
    with pytest.raises(ConfigError, match="cannot import module"):
        load_problem(pm, "no_such_module_xyz:make")
    with pytest.raises(ConfigError, match="unknown problem"):
        load_problem(pm, "NoSuchPair")


def test_compare_and_features_accept_a_file_factory(capsys: pytest.CaptureFixture[str]) -> None:
    spec = f"{HERE / 'pairs.py'}:make_pair"
    assert main(["compare", "--problem", spec, "--nh", "3", "--nl", "6", "--reps", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["problem"] == spec and len(result["repetitions"]) == 2
    rep = result["repetitions"][0]
    assert len(rep["sample"]["X_high"]) == 3 and len(rep["sample"]["y_low"]) == 6
    assert set(rep["decisions"]) >= {"guideline", "toal-cc", "toal-cc-0.9", "always", "never"}
    assert main(["features", "--problem", spec, "--nh", "4", "--nl", "8", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_high"] == 4


def test_paper_solar_without_the_executable_is_a_clear_usage_error(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MFOPT_SOLAR", raising=False)
    monkeypatch.setenv("PATH", str(in_tmp))
    assert main(["benchmark", "run", "--suite", "paper-solar", "--out", "solar.sqlite"]) == 2
    assert "no SOLAR executable found" in capsys.readouterr().err
    assert not (in_tmp / "solar.sqlite").exists()
