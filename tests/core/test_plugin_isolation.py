"""Plugin isolation and pluggy as pluggy.

Third-party distributions are made for real: a ``*.dist-info`` directory (METADATA and
entry_points.txt) and a module on ``sys.path``, found by ``importlib.metadata`` exactly as an
installed package is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from mfopt import ConfigError, PluginError, PluginManager, UnknownNameError
from mfopt.plugin import hookimpl


def make_distribution(site: Path, dist: str, entry_points: dict[str, str], modules: dict[str, str]) -> Path:
    """Install a fake distribution into ``site``: dist-info with entry points, plus its modules."""
    info = site / f"{dist.replace('-', '_')}-1.2.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[mfopt]\n{lines}")
    for module, source in modules.items():
        (site / f"{module}.py").write_text(textwrap.dedent(source))
    return site


GOOD = """
from mfopt.plugin import hookimpl

@hookimpl
def mfopt_register_detectors(registry):
    registry.register("iso-never", lambda: None, description="a detector from a third party")
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Generator[Path, None, None]:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in [m for m in sys.modules if m.startswith("iso_")]:
        del sys.modules[name]


def _broken(pm: PluginManager) -> dict[str, Any]:
    return {b.name: b for b in pm.broken()}


def test_a_plugin_that_fails_to_import_is_broken_and_the_rest_works(site: Path) -> None:
    make_distribution(
        site,
        "iso-bad",
        {"iso-bad": "iso_bad_mod", "iso-good": "iso_good_mod"},
        {"iso_bad_mod": "import no_such_dependency_xyz\n", "iso_good_mod": GOOD},
    )
    pm = PluginManager()
    broken = _broken(pm)["iso-bad"]
    assert broken.distribution == "iso-bad" and broken.version == "1.2.3"
    assert "ModuleNotFoundError" in broken.error and "no_such_dependency_xyz" in broken.error
    assert "iso-never" in pm.detectors and "SongToalForretal0.50" in pm.problems  # the others load
    with pytest.raises(UnknownNameError, match=r"not loaded: plugin 'iso-bad' \(iso-bad 1\.2\.3\)"):
        pm.surrogates.get("from-the-bad-plugin")


def test_sys_exit_at_import_is_attributed_to_the_plugin(site: Path) -> None:
    make_distribution(site, "iso-exit", {"iso-exit": "iso_exit_mod"}, {"iso_exit_mod": "import sys\nsys.exit(3)\n"})
    pm = PluginManager()
    assert _broken(pm)["iso-exit"].error == "failed to import iso_exit_mod: called sys.exit(3) while being imported"
    assert len(pm.problems) > 0


def test_a_name_clash_with_a_first_party_plugin_names_both_distributions(site: Path) -> None:
    clash = """
    from mfopt.plugin import hookimpl

    @hookimpl
    def mfopt_register_problems(registry):
        registry.register("IsoOnly", lambda: None)
    """
    make_distribution(site, "iso-clash", {"problems": "iso_clash_mod"}, {"iso_clash_mod": clash})
    pm = PluginManager()
    broken = _broken(pm)["problems"]
    assert broken.distribution == "iso-clash"
    assert "clashes with the one of mfopt" in broken.error and "iso-clash" in broken.error
    assert "SongToalForretal0.50" in pm.problems and "IsoOnly" not in pm.problems  # the built-in one kept
    assert {p.name: p.distribution for p in pm.plugins()}["problems"] == "mfopt"


def test_a_failing_registration_is_withdrawn_whole(site: Path) -> None:
    half = """
    from mfopt.plugin import hookimpl

    @hookimpl
    def mfopt_register_detectors(registry):
        registry.register("iso-first", lambda: None)
        raise RuntimeError("half-way")
    """
    make_distribution(site, "iso-half", {"iso-half": "iso_half_mod"}, {"iso_half_mod": half})
    pm = PluginManager()
    assert "RuntimeError: half-way" in _broken(pm)["iso-half"].error
    assert "iso-first" not in pm.detectors and "iso-half" not in {p.name for p in pm.plugins()}


def test_a_third_party_duplicate_of_a_built_in_name_is_broken_not_fatal(site: Path) -> None:
    dup = """
    from mfopt.plugin import hookimpl

    @hookimpl
    def mfopt_register_surrogates(registry):
        registry.register("kriging", lambda: None)
    """
    make_distribution(site, "iso-dup", {"iso-dup": "iso_dup_mod"}, {"iso_dup_mod": dup})
    pm = PluginManager()
    error = _broken(pm)["iso-dup"].error
    assert "'kriging' is registered twice" in error and "plugin 'surrogates' (mfopt" in error
    assert pm.surrogates.get("kriging").provider.distribution == "mfopt"


def test_disabled_plugins_are_neither_loaded_nor_broken(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_distribution(site, "iso-bad2", {"iso-bad2": "iso_bad2_mod"}, {"iso_bad2_mod": "raise ImportError('x')\n"})
    monkeypatch.setenv("MFOPT_DISABLE_PLUGINS", "iso-bad2")
    pm = PluginManager()
    assert "iso-bad2" not in _broken(pm) and "iso-bad2" not in {p.name for p in pm.plugins()}


def test_mfopt_plugins_lists_the_broken_plugin_and_other_commands_work(site: Path) -> None:
    make_distribution(site, "iso-cli", {"iso-cli": "iso_cli_mod"}, {"iso_cli_mod": "raise RuntimeError('kaput')\n"})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run(
        [sys.executable, "-m", "mfopt", "plugins", "--json"], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr
    (broken,) = [b for b in json.loads(out.stdout)["broken"] if b["name"] == "iso-cli"]
    assert broken["distribution"] == "iso-cli" and "RuntimeError: kaput" in broken["error"]
    out = subprocess.run(
        [sys.executable, "-m", "mfopt", "problems", "--json"], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0 and json.loads(out.stdout)["count"] > 0, out.stderr


# pluggy's documented call order ------------------------------------------------------------------
class _Recorder:
    def __init__(self, log: list[str], label: str) -> None:
        self.log, self.label = log, label


class _Plain(_Recorder):
    @hookimpl
    def mfopt_study_start(self, study: Any) -> None:
        self.log.append(self.label)


class _First(_Recorder):
    @hookimpl(tryfirst=True)
    def mfopt_study_start(self, study: Any) -> None:
        self.log.append(self.label)


class _Last(_Recorder):
    @hookimpl(trylast=True)
    def mfopt_study_start(self, study: Any) -> None:
        self.log.append(self.label)


class _Wrapper(_Recorder):
    @hookimpl(wrapper=True)
    def mfopt_study_start(self, study: Any) -> Generator[None, Any, Any]:
        self.log.append(f"{self.label}:before")
        result = yield
        self.log.append(f"{self.label}:after")
        return result


def test_observer_hooks_keep_pluggys_documented_order() -> None:
    log: list[str] = []
    plugins = [
        ("last", _Last(log, "last")),
        ("first", _First(log, "first")),
        ("plain-1", _Plain(log, "plain-1")),
        ("wrapper", _Wrapper(log, "wrapper")),
        ("plain-2", _Plain(log, "plain-2")),
    ]
    pm = PluginManager(plugins, entry_points=False)
    pm.study_start(object())
    # tryfirst first, then the others last-registered-first (LIFO), trylast last; the new-style
    # wrapper around them all
    assert log == ["wrapper:before", "first", "plain-2", "plain-1", "last", "wrapper:after"]


class _Raising:
    @hookimpl
    def mfopt_after_evaluate(self, study: Any, observations: Any) -> None:
        raise ValueError("observer broke")


def test_an_observer_that_raises_is_named() -> None:
    pm = PluginManager([("quiet", _Plain([], "q")), ("loud", _Raising())], entry_points=False)
    with pytest.raises(PluginError, match=r"plugin 'loud' \(<in-process>\) raised in mfopt_after_evaluate"):
        pm.after_evaluate(object(), [])


# lazy factories -----------------------------------------------------------------------------------
LAZY = """
from mfopt.plugin import hookimpl

@hookimpl
def mfopt_register_executors(registry):
    registry.register("iso-lazy", "iso_lazy_impl:make", description="imported on first use")
    registry.register("iso-missing", "iso_no_such_module:make")
"""

LAZY_IMPL = """
from concurrent.futures import ThreadPoolExecutor

def make(workers: int = 1):
    return ThreadPoolExecutor(workers)
"""


def test_a_factory_named_by_import_path_is_imported_on_first_use(site: Path) -> None:
    make_distribution(
        site, "iso-lazy", {"iso-lazy": "iso_lazy_mod"}, {"iso_lazy_mod": LAZY, "iso_lazy_impl": LAZY_IMPL}
    )
    pm = PluginManager()
    assert "iso-lazy" in pm.executors and "iso_lazy_impl" not in sys.modules  # listed, not imported
    executor = pm.executors.create("iso-lazy", workers=2)
    assert executor.submit(pow, 2, 5).result() == 32
    executor.shutdown()
    with pytest.raises(ConfigError, match="unknown option 'threads'"):
        pm.executors.create("iso-lazy", threads=2)
    with pytest.raises(PluginError, match=r"plugin 'iso-lazy' \(iso-lazy 1\.2\.3\) cannot import 'iso-missing'"):
        pm.executors.create("iso-missing")
