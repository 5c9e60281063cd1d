"""Loads plugins (entry points, then any given explicitly), fills the registries, and forwards
observer hooks through pluggy. The rest of mfopt talks to plugins only through this class.

Isolation: a third-party entry point that fails to import (an exception, or ``sys.exit`` at
import), implements an unknown hook, or fails while registering is *broken*: it is not loaded,
:meth:`PluginManager.broken` lists it with its distribution and error (``mfopt plugins`` shows
it), an unknown-name error mentions it, and every command that does not need it works. An entry
point whose name is already taken by another distribution (a clash with a first-party plugin
such as ``problems``) is broken too, with a message naming both distributions; the first-party
one (or else the first found) is kept.

Plugins given explicitly (``PluginManager(plugins=...)``, ``add``) are the caller's own: their
failures raise :class:`~mfopt.errors.PluginError`.
"""

from __future__ import annotations

import os
import traceback
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
FIRST_PARTY = PROJECT_NAME  # the distribution that ships the first-party plugins


@dataclass(frozen=True)
class PluginInfo:
    name: str
    distribution: str
    version: str
    module: str


@dataclass(frozen=True)
class BrokenPlugin:
    """An entry point that was not loaded, and why."""

    name: str
    distribution: str
    version: str
    value: str  # the entry point's target, e.g. ``my_plugin.plugin``
    error: str

    def __str__(self) -> str:
        return f"plugin {self.name!r} ({self.distribution} {self.version}): {self.error}"


def disabled_from_env() -> set[str]:
    raw = os.environ.get(DISABLE_ENV, "")
    return {part.strip() for part in raw.split(",") if part.strip()}


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r}) while being imported"
    return f"{type(exc).__name__}: {exc}"


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
        self._entry_points: set[str] = set()
        self._broken: list[BrokenPlugin] = []
        self.disabled = set(disabled_from_env() if disabled is None else disabled)
        for name in self.disabled:
            self._pm.set_blocked(name)
        if entry_points:
            self._load_entry_points()
        for name, plugin in plugins:
            self.add(name, plugin)
        unavailable = tuple(str(b) for b in self._broken)
        self.registries = {family: Registry(family, unavailable) for family in FAMILIES}
        self._fill_registries()

    # loading --------------------------------------------------------------------------------
    def _load_entry_points(self) -> None:
        """Import and register each entry point of the ``mfopt`` group on its own.

        Not ``pluggy.PluginManager.load_setuptools_entrypoints``: it imports every entry point in
        one loop, so a single plugin that raises (or calls ``sys.exit``) at import aborts the loop
        and takes every later plugin, and the command, down with it; and it resolves two
        distributions using one entry-point name silently, by installation order (a third-party
        ``problems`` entry point replaced the first-party one). Calling it once per entry point
        (``name=``) would isolate them, but every call walks the metadata of every installed
        distribution (once per plugin instead of once in all) and still cannot choose between two
        distributions using one name. Each entry point is therefore loaded here with
        ``EntryPoint.load()`` and registered with ``pm.register`` under its name, exactly as
        pluggy's loader does, but inside its own ``try``, from one walk of the metadata; its
        distribution is recorded from ``EntryPoint.dist``, the source pluggy's
        ``list_plugin_distinfo`` reads (which only its own loader fills).
        """
        by_name: dict[str, list[metadata.EntryPoint]] = {}
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            dists = [e.dist.name if e.dist else "" for e in by_name.get(ep.name, [])]
            if (ep.dist.name if ep.dist else "") not in dists:  # one per distribution (editable installs repeat)
                by_name.setdefault(ep.name, []).append(ep)
        for name, eps in by_name.items():
            if name in self.disabled:
                continue
            keep = next((e for e in eps if e.dist is not None and e.dist.name == FIRST_PARTY), eps[0])
            kept = self._provider(keep)
            for other in eps:
                if other is not keep:
                    theirs = self._provider(other)
                    self._mark_broken(
                        other,
                        f"entry point name {name!r} clashes with the one of {kept.distribution} {kept.version}"
                        f" ({keep.value}); not loaded: rename it in {theirs.distribution}'s entry points",
                    )
            self._load_one(keep)

    @staticmethod
    def _provider(ep: metadata.EntryPoint) -> Provider:
        dist = ep.dist
        return Provider(ep.name, dist.name if dist else "unknown", dist.version if dist else "")

    def _mark_broken(self, ep: metadata.EntryPoint, error: str) -> None:
        p = self._provider(ep)
        self._broken.append(BrokenPlugin(ep.name, p.distribution, p.version, ep.value, error))

    def _load_one(self, ep: metadata.EntryPoint) -> None:
        try:
            module = ep.load()
        except (Exception, SystemExit) as exc:  # a plugin's import must not end mfopt
            self._mark_broken(ep, f"failed to import {ep.value}: {_describe(exc)}")
            return
        try:
            self._register(ep.name, module, self._provider(ep))
        except PluginError as exc:
            self._mark_broken(ep, f"could not be registered: {exc.__cause__ or exc}")
            return
        self._entry_points.add(ep.name)

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
        try:
            self._pm.check_pending()  # a hook implementation that matches no hook specification
        except Exception as exc:
            self._pm.unregister(name=name)
            raise PluginError(f"{provider} could not be registered: {exc}") from exc
        self._providers[name] = provider
        self._modules[name] = getattr(plugin, "__name__", type(plugin).__name__)

    def remove(self, name: str) -> None:
        self._pm.unregister(name=name)
        self._providers.pop(name, None)

    def _fill_registries(self) -> None:
        """Call each plugin's registration hooks through pluggy (a caller restricted to that plugin,
        so that its registrations carry its provenance and its failure is its own); first-party
        plugins register first, the rest in pluggy's call order."""
        ordered: list[str] = []
        for family in FAMILIES:
            for impl in reversed(getattr(self._pm.hook, f"mfopt_register_{family}").get_hookimpls()):
                if impl.plugin_name not in ordered:
                    ordered.append(impl.plugin_name)
        ordered.sort(key=lambda n: self._providers[n].distribution != FIRST_PARTY)
        for name in ordered:
            plugin = self._pm.get_plugin(name)
            provider = self._providers[name]
            others = [p for n, p in self._pm.list_name_plugin() if n != name and p is not None]
            try:
                for family, registry in self.registries.items():
                    hook_name = f"mfopt_register_{family}"
                    caller = self._pm.subset_hook_caller(hook_name, remove_plugins=others)
                    try:
                        caller(registry=registry.scoped(provider))
                    except PluginError:
                        raise
                    except Exception as exc:
                        raise PluginError(f"{provider} raised in {hook_name}: {type(exc).__name__}: {exc}") from exc
            except PluginError as exc:
                if name not in self._entry_points:
                    raise
                for registry in self.registries.values():
                    registry.withdraw(name)
                self._pm.unregister(plugin)
                self._providers.pop(name)
                self._broken.append(
                    BrokenPlugin(
                        name,
                        provider.distribution,
                        provider.version,
                        self._modules.pop(name),
                        str(exc).removeprefix(f"{provider} "),
                    )
                )

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
        """The loaded plugins with the distribution (and version) that provides each."""
        return [
            PluginInfo(name, p.distribution, p.version, self._modules.get(name, ""))
            for name, p in sorted(self._providers.items())
        ]

    def broken(self) -> list[BrokenPlugin]:
        """Entry points that were not loaded, with their distribution and error."""
        return list(self._broken)

    # observer hooks -------------------------------------------------------------------------
    def _call(self, hook_name: str, **kwargs: Any) -> None:
        """Call a hook through pluggy (``tryfirst``/``trylast``, wrappers and tracing as pluggy
        documents); an exception is re-raised as :class:`PluginError` naming the plugin it came from."""
        hook = getattr(self._pm.hook, hook_name)
        try:
            hook(**kwargs)
        except PluginError:
            raise
        except Exception as exc:
            culprit = self._culprit(hook, exc)
            raise PluginError(f"{culprit} raised in {hook_name}: {type(exc).__name__}: {exc}") from exc

    def _culprit(self, hook: Any, exc: BaseException) -> str:
        """The plugin whose implementation is deepest in ``exc``'s traceback."""
        codes = {impl.function.__code__: impl.plugin_name for impl in hook.get_hookimpls()}
        name = None
        for frame, _ in traceback.walk_tb(exc.__traceback__):
            name = codes.get(frame.f_code, name)
        if name is None:
            return "a plugin"
        return str(self._providers.get(name, Provider(name)))

    def study_start(self, study: Any) -> None:
        self._call("mfopt_study_start", study=study)

    def after_propose(self, study: Any, candidates: Sequence[Any], decisions: Sequence[Any]) -> None:
        self._call("mfopt_after_propose", study=study, candidates=candidates, decisions=decisions)

    def after_evaluate(self, study: Any, observations: Sequence[Any]) -> None:
        self._call("mfopt_after_evaluate", study=study, observations=observations)

    def study_end(self, study: Any, result: Any) -> None:
        self._call("mfopt_study_end", study=study, result=result)


_DEFAULT: PluginManager | None = None


def get_plugin_manager(refresh: bool = False) -> PluginManager:
    """The process-wide manager loaded from entry points (created on first use)."""
    global _DEFAULT
    if _DEFAULT is None or refresh:
        _DEFAULT = PluginManager()
    return _DEFAULT
