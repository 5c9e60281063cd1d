"""Loads plugins (entry points, then any given explicitly), fills the registries, and forwards
observer hooks. The rest of mfopt talks to plugins only through this class.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import pluggy

from mfopt.errors import PluginError
from mfopt.plugin import ENTRY_POINT_GROUP, PROJECT_NAME, hookspecs
from mfopt.plugin.registry import Provider, Registry

FAMILIES = ("problems", "surrogates", "detectors", "acquisitions", "executors", "strategies")
DISABLE_ENV = "MFOPT_DISABLE_PLUGINS"


@dataclass(frozen=True)
class PluginInfo:
    name: str
    distribution: str
    version: str
    module: str


def disabled_from_env() -> set[str]:
    raw = os.environ.get(DISABLE_ENV, "")
    return {part.strip() for part in raw.split(",") if part.strip()}


class PluginManager:
    """Owns the pluggy manager and the registries (one per plugin family).

    :param plugins: extra ``(name, object)`` plugins registered after the entry points (tests,
        embedding applications).
    :param entry_points: load the ``mfopt`` entry-point group (default True).
    :param disabled: plugin names to block; default from ``MFOPT_DISABLE_PLUGINS``.
    """

    def __init__(
        self,
        plugins: Sequence[tuple[str, object]] = (),
        *,
        entry_points: bool = True,
        disabled: Iterable[str] | None = None,
    ) -> None:
        self._pm = pluggy.PluginManager(PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self._providers: dict[str, Provider] = {}
        self._modules: dict[str, str] = {}
        self.disabled = set(disabled_from_env() if disabled is None else disabled)
        for name in self.disabled:
            self._pm.set_blocked(name)
        if entry_points:
            self._load_entry_points()
        for name, plugin in plugins:
            self.add(name, plugin)
        self._pm.check_pending()
        self.registries = {family: Registry(family) for family in FAMILIES}
        for family, registry in self.registries.items():
            self._call_each(f"mfopt_register_{family}", on_start=registry, registry=registry)

    # loading --------------------------------------------------------------------------------
    def _load_entry_points(self) -> None:
        seen: set[str] = set()
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in seen or ep.name in self.disabled:
                continue
            seen.add(ep.name)
            dist = ep.dist
            provider = Provider(ep.name, dist.name if dist else "unknown", dist.version if dist else "")
            try:
                module = ep.load()
            except Exception as exc:
                raise PluginError(f"{provider} failed to load ({ep.value}): {type(exc).__name__}: {exc}") from exc
            self._register(ep.name, module, provider)

    def add(self, name: str, plugin: object, distribution: str = "<in-process>", version: str = "") -> None:
        """Register a plugin object directly (after start-up only observers take effect)."""
        if name in self.disabled:
            return
        self._register(name, plugin, Provider(name, distribution, version))

    def _register(self, name: str, plugin: object, provider: Provider) -> None:
        try:
            self._pm.register(plugin, name=name)
        except Exception as exc:
            raise PluginError(f"{provider} could not be registered: {exc}") from exc
        self._providers[name] = provider
        self._modules[name] = getattr(plugin, "__name__", type(plugin).__name__)

    def remove(self, name: str) -> None:
        self._pm.unregister(name=name)
        self._providers.pop(name, None)

    def _call_each(self, hook_name: str, on_start: Registry | None = None, **kwargs: Any) -> None:
        """Call every implementation of a hook, naming the plugin when one raises."""
        hook = getattr(self._pm.hook, hook_name)
        for impl in hook.get_hookimpls():
            provider = self._providers.get(impl.plugin_name, Provider(impl.plugin_name))
            if on_start is not None:
                on_start.provider = provider
            try:
                impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(f"{provider} raised in {hook_name}: {type(exc).__name__}: {exc}") from exc

    # registries -----------------------------------------------------------------------------
    @property
    def problems(self) -> Registry:
        return self.registries["problems"]

    @property
    def surrogates(self) -> Registry:
        return self.registries["surrogates"]

    @property
    def detectors(self) -> Registry:
        return self.registries["detectors"]

    @property
    def acquisitions(self) -> Registry:
        return self.registries["acquisitions"]

    @property
    def executors(self) -> Registry:
        return self.registries["executors"]

    @property
    def strategies(self) -> Registry:
        return self.registries["strategies"]

    def plugins(self) -> list[PluginInfo]:
        return [
            PluginInfo(name, p.distribution, p.version, self._modules.get(name, ""))
            for name, p in sorted(self._providers.items())
        ]

    # observer hooks -------------------------------------------------------------------------
    def study_start(self, study: Any) -> None:
        self._call_each("mfopt_study_start", study=study)

    def after_propose(self, study: Any, candidates: Sequence[Any], decisions: Sequence[Any]) -> None:
        self._call_each("mfopt_after_propose", study=study, candidates=candidates, decisions=decisions)

    def after_evaluate(self, study: Any, observations: Sequence[Any]) -> None:
        self._call_each("mfopt_after_evaluate", study=study, observations=observations)

    def study_end(self, study: Any, result: Any) -> None:
        self._call_each("mfopt_study_end", study=study, result=result)


_DEFAULT: PluginManager | None = None


def get_plugin_manager(refresh: bool = False) -> PluginManager:
    """The process-wide manager loaded from entry points (created on first use)."""
    global _DEFAULT
    if _DEFAULT is None or refresh:
        _DEFAULT = PluginManager()
    return _DEFAULT
