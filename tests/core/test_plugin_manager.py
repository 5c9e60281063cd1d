"""The plugin manager: registries, duplicate names, failing plugins, disabling, observers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mfopt import PluginError, PluginManager, RegistryError
from mfopt.cli import main
from mfopt.plugin import hookimpl
from mfopt.plugin.manager import FAMILIES


class _Dup:
    @hookimpl
    def mfopt_register_executors(self, registry: Any) -> None:
        registry.register("serial", lambda: None)


class _Broken:
    @hookimpl
    def mfopt_register_problems(self, registry: Any) -> None:
        raise RuntimeError("boom")


class _Observer:
    def __init__(self) -> None:
        self.calls: list[str] = []

    @hookimpl
    def mfopt_study_start(self, study: Any) -> None:
        self.calls.append("start")


def test_first_party_families_are_all_populated() -> None:
    pm = PluginManager()
    for family in FAMILIES:
        assert len(pm.registries[family]) >= 1, family
    names = {p.name: p.distribution for p in pm.plugins()}
    assert names["problems"] == "mfopt"


def test_duplicate_name_names_both_plugins() -> None:
    with pytest.raises(RegistryError) as err:
        PluginManager([("dup-plugin", _Dup())])
    message = str(err.value)
    assert "'serial' is registered twice" in message
    assert "plugin 'executors' (mfopt" in message and "plugin 'dup-plugin'" in message


def test_failing_plugin_is_named_with_its_cause() -> None:
    with pytest.raises(PluginError) as err:
        PluginManager([("broken-plugin", _Broken())])
    assert "plugin 'broken-plugin'" in str(err.value) and "boom" in str(err.value)
    assert isinstance(err.value.__cause__, RuntimeError)


def test_disable_plugins_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MFOPT_DISABLE_PLUGINS", "executors, problems")
    pm = PluginManager()
    assert len(pm.executors) == 0 and len(pm.problems) == 0
    assert len(pm.acquisitions) >= 1


def test_unknown_name_suggests_close_matches() -> None:
    pm = PluginManager()
    with pytest.raises(RegistryError, match="did you mean 'serial'"):
        pm.executors.get("serail")


def test_options_are_checked_against_the_factory() -> None:
    pm = PluginManager()
    with pytest.raises(Exception, match=r"unknown option 'wrokers' \(accepted: workers, start_method\)"):
        pm.executors.create("process", where="x.toml: [executor]", wrokers=2)


def test_observer_hooks_reach_added_plugins() -> None:
    pm = PluginManager()
    obs = _Observer()
    pm.add("obs", obs)
    pm.study_start(object())
    assert obs.calls == ["start"]


def test_plugins_json_lists_five_families(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["families"]) == set(FAMILIES)
    for family, items in data["families"].items():
        assert items, f"no plugin in {family}"
        assert all(i["distribution"] == "mfopt" and i["version"] for i in items)
