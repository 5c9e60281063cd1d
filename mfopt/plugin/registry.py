"""Name -> factory registries, one per plugin family.

Datasette-style: plugins register factories in a registration hook; a name registered twice is
an error naming both plugins. Problem families with infinitely many parametric names (generated
pairs) add a *resolver* that turns a name into a factory.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mfopt.errors import ConfigError, PluginError, RegistryError, UnknownNameError

Factory = Callable[..., Any]
Resolver = Callable[[str], Factory | None]


@dataclass(frozen=True)
class Provider:
    """Which plugin (entry-point name) and distribution registered something."""

    plugin: str
    distribution: str = "unknown"
    version: str = ""

    def __str__(self) -> str:
        dist = f"{self.distribution} {self.version}".strip()
        return f"plugin '{self.plugin}' ({dist})"


@dataclass(frozen=True)
class Entry:
    """One registered name."""

    name: str
    factory: Factory
    provider: Provider
    description: str = ""
    key: str | None = None
    info: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ResolverEntry:
    resolver: Resolver
    provider: Provider
    description: str


class Registry:
    """The registry of one plugin family (``problems``, ``surrogates``, ...)."""

    def __init__(self, family: str) -> None:
        self.family = family
        #: one member of the family, for messages ("strategies" -> "strategy")
        self.kind = family[:-3] + "y" if family.endswith("ies") else family[:-1]
        self._entries: dict[str, Entry] = {}
        self._resolvers: list[ResolverEntry] = []
        self.provider = Provider("<direct>", "unknown")

    # registration -------------------------------------------------------------------------
    def register(
        self,
        name: str,
        factory: Factory,
        *,
        description: str = "",
        key: str | None = None,
        **info: Any,
    ) -> None:
        """Add ``name``. ``key``: a config key that selects this factory when no name is given."""
        if not name or not isinstance(name, str):
            raise RegistryError(f"{self.provider} registered a {self.kind} with an empty name")
        if not callable(factory):
            raise RegistryError(f"{self.provider} registered {self.kind} {name!r} with a non-callable")
        if name in self._entries:
            first = self._entries[name].provider
            raise RegistryError(f"{self.kind} {name!r} is registered twice: by {first} and by {self.provider}")
        self._entries[name] = Entry(name, factory, self.provider, description, key, dict(info))

    def register_resolver(self, resolver: Resolver, *, description: str = "") -> None:
        """Add a resolver for parametric names: ``resolver(name)`` returns a factory or None."""
        self._resolvers.append(ResolverEntry(resolver, self.provider, description))

    # lookup -------------------------------------------------------------------------------
    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._find(name) is not None

    def __iter__(self) -> Iterator[Entry]:
        return iter(sorted(self._entries.values(), key=lambda e: e.name))

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        return sorted(self._entries)

    @property
    def resolvers(self) -> list[ResolverEntry]:
        return list(self._resolvers)

    def by_key(self, key: str) -> Entry | None:
        for entry in self._entries.values():
            if entry.key == key:
                return entry
        return None

    def _find(self, name: str) -> Entry | None:
        if name in self._entries:
            return self._entries[name]
        for r in self._resolvers:
            try:
                factory = r.resolver(name)
            except Exception as exc:
                raise PluginError(f"{r.provider} failed while resolving {self.kind} {name!r}: {exc}") from exc
            if factory is not None:
                return Entry(name, factory, r.provider, r.description)
        return None

    def get(self, name: str) -> Entry:
        """The entry for ``name``; :class:`RegistryError` with close matches when unknown."""
        entry = self._find(name)
        if entry is None:
            close = difflib.get_close_matches(name, self._entries, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            known = self.names()
            if len(known) > 12:
                command = "mfopt problems" if self.family == "problems" else "mfopt plugins"
                listing = f"{len(known)} registered: `{command}` lists them"
            else:
                listing = "available: " + (", ".join(known) or "none")
            raise UnknownNameError(f"unknown {self.kind} {name!r} ({listing}){hint}")
        return entry

    def create(self, name: str, where: str = "", **options: Any) -> Any:
        """Call ``name``'s factory with ``options``; bad options are a :class:`ConfigError` naming
        ``where`` (e.g. ``problem.toml: [acquisition]``), a crash is a :class:`PluginError`."""
        entry = self.get(name)
        prefix = f"{where}: " if where else ""
        check_options(entry.factory, options, f"{prefix}{self.kind} {name!r}")
        try:
            return entry.factory(**options)
        except (ConfigError, PluginError):
            raise
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{prefix}{self.kind} {name!r}: {exc}") from exc
        except Exception as exc:
            raise PluginError(f"{entry.provider} failed to create {self.kind} {name!r}: {exc}") from exc


def check_options(factory: Factory, options: Mapping[str, Any], what: str) -> None:
    """Reject option names ``factory`` does not accept, naming the accepted ones."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return
    params = signature.parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return
    accepted = [p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for key in options:
        if key not in accepted:
            listing = ", ".join(accepted) if accepted else "none"
            raise ConfigError(f"{what}: unknown option {key!r} (accepted: {listing})")
