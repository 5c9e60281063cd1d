"""Plugins declare their option models and their family defaults; the core names no plugin."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import mfopt.config
from mfopt import ConfigError, PluginError, PluginManager, get_plugin_manager, parse_config
from mfopt.config import DEFAULTED_SECTIONS, plugin_defaults
from mfopt.plugin import hookimpl

PM = get_plugin_manager()
#: arguments the core passes itself; never user options
INJECTED = {"device", "seed", "context"}
WITH_MODELS = [(f, e.name) for f, r in PM.registries.items() for e in r if e.options is not None]


def test_first_party_plugins_declare_option_models_and_defaults() -> None:
    assert len(WITH_MODELS) >= 12
    assert plugin_defaults(PM) == {
        "surrogate": "kriging", "detector": "guideline", "acquisition": "logei", "executor": "serial",
        "strategy": "gated",
    }  # fmt: skip


@pytest.mark.parametrize(("family", "name"), WITH_MODELS, ids=lambda v: str(v))
def test_an_option_model_matches_its_factory(family: str, name: str) -> None:
    entry = PM.registries[family].get(name)
    model = entry.options_model()
    assert model is not None
    parameters = {
        p.name: p.default
        for p in inspect.signature(entry.load()).parameters.values()
        if p.name not in INJECTED and p.kind is not p.VAR_KEYWORD
    }
    required = inspect.Parameter.empty
    assert {k: required if f.is_required() else f.default for k, f in model.model_fields.items()} == parameters


def test_options_are_validated_with_the_section_and_key() -> None:
    where = "problem.toml: [surrogate]"
    assert PM.surrogates.validate("kriging", {"p": 1, "noise": 0.5}, where) == {"p": 1.0, "noise": 0.5}
    with pytest.raises(ConfigError, match=r"^problem.toml: \[surrogate\].maxiter: surrogate 'kriging': .*found 0"):
        PM.surrogates.validate("kriging", {"maxiter": 0}, where)
    with pytest.raises(ConfigError, match=r"unknown option 'nugget' \(accepted: p, n_starts, maxiter"):
        PM.surrogates.create("kriging", where, device="cpu", seed=0, nugget=1.0)


def test_the_core_names_no_plugin() -> None:
    source = Path(mfopt.config.__file__).read_text(encoding="utf-8")
    literals = set(re.findall(r"\"([a-z][a-z-]*)\"", source))
    names = {e.name for r in PM.registries.values() for e in r}
    assert not literals & names


class _Mine:
    @hookimpl
    def mfopt_register_surrogates(self, registry):  # type: ignore[no-untyped-def]
        registry.register("mine", "mfopt_surrogates.kriging:Kriging", default=True)


def test_defaults_come_from_the_installed_plugins() -> None:
    pm = PluginManager([("mine", _Mine())], entry_points=False)
    named = {section: {"name": "x"} for section in ("strategy", "executor", "acquisition", "detector")}
    config = parse_config({"budget": {"total": 1}, **named}, defaults=plugin_defaults(pm))
    assert config.surrogate.name == "mine"
    with pytest.raises(ConfigError, match=r"\[detector\].name: required key is missing \(no installed plugin"):
        parse_config({"budget": {"total": 1}}, defaults=plugin_defaults(pm))
    assert set(DEFAULTED_SECTIONS) == set(plugin_defaults(pm))


def test_a_second_default_is_an_error_naming_both_plugins() -> None:
    with pytest.raises(
        PluginError, match=r"declares 'mine' the default surrogate, but plugin 'surrogates' .* 'kriging'"
    ):
        PluginManager([("mine", _Mine())])
