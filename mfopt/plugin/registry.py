"""Name -> factory registries, one per plugin family.

Datasette-style: plugins register factories in a registration hook; a name registered twice is
an error naming both plugins. Problem families with infinitely many parametric names (generated
pairs) add a *resolver* that turns a name into a factory.

Options: a plugin may register a pydantic model of a factory's options (``options=``, a model
class or ``"module:Name"``); :meth:`Registry.create` validates the options given in problem.toml
with it (unknown keys, types, ranges) before calling the factory, and a config error names the
file, the section and the key. Without a model, option names are checked against the factory's
signature. ``default=True`` makes a name the family's default: what a problem.toml section without
``name`` selects (the core names no plugin; each distribution declares its own defaults).

Provenance: the plugin manager hands each plugin's registration hook a :class:`ScopedRegistry`,
a view bound to that plugin's :class:`Provider`, so every entry records who registered it without
any mutable "current provider" state on the registry.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mfopt.errors import ConfigError, PluginError, RegistryError, UnknownNameError

Factory = Callable[..., Any]
#: a factory, or where to import it from (``"package.module:Name"``): imported on first use, so that
#: listing a family (``mfopt plugins``) does not import a plugin's heavy modules
FactoryRef = Factory | str
Resolver = Callable[[str], Factory | None]

if TYPE_CHECKING:
    from pydantic import BaseModel


def _import(ref: str) -> Any:
    module, _, attribute = ref.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _check_ref(ref: str, what: str) -> None:
    module, colon, attribute = ref.partition(":")
    if not (module and colon and attribute.isidentifier()):
        raise RegistryError(f"{what} as {ref!r}: use 'module:Name'")


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
    factory: FactoryRef
    provider: Provider
    description: str = ""
    key: str | None = None
    info: Mapping[str, Any] = field(default_factory=dict)
    #: the options' pydantic model (or ``"module:Name"``); None: checked against the signature
    options: type[BaseModel] | str | None = None

    def load(self) -> Factory:
        """The factory (imported now if it was registered as ``"module:attribute"``)."""
        if not isinstance(self.factory, str):
            return self.factory
        factory = self._resolve(self.factory, f"{self.name!r}")
        if not callable(factory):
            raise PluginError(f"{self.provider} registered {self.name!r} as {self.factory!r}, which is not callable")
        return factory

    def options_model(self) -> type[BaseModel] | None:
        """The options' model (imported now if it was registered as ``"module:Name"``), or None."""
        if not isinstance(self.options, str):
            return self.options
        from pydantic import BaseModel

        model = self._resolve(self.options, f"the options of {self.name!r}")
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise PluginError(f"{self.provider} registered {self.options!r} as the options of {self.name!r}: "
                              "not a pydantic model")  # fmt: skip
        return model

    def _resolve(self, ref: str, what: str) -> Any:
        """``ref`` (``"module:Name"``) imported; a failure is a PluginError naming the plugin and ``what``."""
        try:
            return _import(ref)
        except (Exception, SystemExit) as exc:
            raise PluginError(f"{self.provider} cannot import {what} from {ref!r}: {exc}") from exc


@dataclass(frozen=True)
class ResolverEntry:
    resolver: Resolver
    provider: Provider
    description: str


DIRECT = Provider("<direct>", "unknown")


class Registry:
    """The registry of one plugin family (``problems``, ``surrogates``, ...).

    :param unavailable: one line per plugin that failed to load, appended to an unknown-name error
        (the name asked for may be one that a broken plugin would have registered).
    """

    def __init__(self, family: str, unavailable: tuple[str, ...] = ()) -> None:
        self.family = family
        #: one member of the family, for messages ("strategies" -> "strategy")
        self.kind = family[:-3] + "y" if family.endswith("ies") else family[:-1]
        self._entries: dict[str, Entry] = {}
        self._resolvers: list[ResolverEntry] = []
        self._unavailable = unavailable
        self._default: str | None = None

    # registration -------------------------------------------------------------------------
    def register(
        self,
        name: str,
        factory: FactoryRef,
        *,
        description: str = "",
        key: str | None = None,
        options: type[BaseModel] | str | None = None,
        default: bool = False,
        provider: Provider = DIRECT,
        **info: Any,
    ) -> None:
        """Add ``name``. ``factory``: a callable, or ``"package.module:Name"`` imported on first use.
        ``key``: a config key that selects this factory when no name is given. ``options``: a
        pydantic model of the factory's options (or ``"module:Name"``). ``default``: the family's
        default (one per family)."""
        if not name or not isinstance(name, str):
            raise RegistryError(f"{provider} registered a {self.kind} with an empty name")
        what = f"{provider} registered {self.kind} {name!r}"
        if isinstance(factory, str):
            _check_ref(factory, what)
        elif not callable(factory):
            raise RegistryError(f"{what} with a non-callable")
        if isinstance(options, str):
            _check_ref(options, f"{what}'s options")
        if name in self._entries:
            first = self._entries[name].provider
            raise RegistryError(f"{self.kind} {name!r} is registered twice: by {first} and by {provider}")
        if default and self._default is not None:
            first = self._entries[self._default].provider
            raise RegistryError(
                f"{provider} declares {name!r} the default {self.kind}, but {first} already declared {self._default!r}"
            )
        self._entries[name] = Entry(name, factory, provider, description, key, dict(info), options)
        if default:
            self._default = name

    def register_resolver(self, resolver: Resolver, *, description: str = "", provider: Provider = DIRECT) -> None:
        """Add a resolver for parametric names: ``resolver(name)`` returns a factory or None."""
        self._resolvers.append(ResolverEntry(resolver, provider, description))

    def scoped(self, provider: Provider) -> ScopedRegistry:
        """The view a plugin's registration hook receives: what it registers is stamped ``provider``."""
        return ScopedRegistry(self, provider)

    def withdraw(self, plugin: str) -> None:
        """Remove everything plugin ``plugin`` registered (it failed part-way through registering)."""
        self._entries = {n: e for n, e in self._entries.items() if e.provider.plugin != plugin}
        if self._default not in self._entries:
            self._default = None
        self._resolvers = [r for r in self._resolvers if r.provider.plugin != plugin]

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
    def default(self) -> str | None:
        """The name a plugin declared the family's default (``register(..., default=True)``), if any."""
        return self._default

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
            broken = f"; not loaded: {'; '.join(self._unavailable)}" if self._unavailable else ""
            raise UnknownNameError(f"unknown {self.kind} {name!r} ({listing}){hint}{broken}")
        return entry

    def validate(self, name: str, options: Mapping[str, Any], where: str = "") -> dict[str, Any]:
        """``options`` (a problem.toml section's keys besides ``name``) checked by ``name``'s option
        model, or against its factory's signature when it has none: the keyword arguments to pass.
        A bad option is a :class:`ConfigError` naming ``where`` and the key."""
        entry = self.get(name)
        what = f"{self.kind} {name!r}"
        model = entry.options_model()
        if model is None:
            check_options(entry.load(), options, f"{where}: {what}" if where else what)
            return dict(options)
        from pydantic import ValidationError

        try:
            validated = model.model_validate(dict(options))
        except ValidationError as exc:
            raise ConfigError(_option_error(exc, model, where, what)) from None
        return validated.model_dump(exclude_unset=True)  # the factory keeps its own defaults

    def create(self, name: str, where: str = "", options: Mapping[str, Any] | None = None, **arguments: Any) -> Any:
        """Call ``name``'s factory with the validated ``options`` (see :meth:`validate`) and the
        caller's own ``arguments`` (``device``, ``seed``, ``context``: not user options). With
        ``options`` None, the ``arguments`` its option model declares are validated as options.
        Bad options are a :class:`ConfigError` naming ``where`` (e.g. ``problem.toml:
        [acquisition]``), a crash is a :class:`PluginError`."""
        entry = self.get(name)
        prefix = f"{where}: " if where else ""
        factory = entry.load()
        if options is None:  # the options are among the arguments: the model's fields and unknown keys
            model = entry.options_model()
            fields = set(model.model_fields) if model is not None else set()
            if model is not None:
                fields |= set(arguments) - {p.name for p in _parameters(factory) or []}
            options = {key: arguments.pop(key) for key in list(arguments) if key in fields}
        values = self.validate(name, options, where)
        check_options(factory, arguments, f"{prefix}{self.kind} {name!r}")
        try:
            return factory(**arguments, **values)
        except (ConfigError, PluginError):
            raise
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{prefix}{self.kind} {name!r}: {exc}") from exc
        except Exception as exc:
            raise PluginError(f"{entry.provider} failed to create {self.kind} {name!r}: {exc}") from exc


class ScopedRegistry:
    """A :class:`Registry` as one plugin sees it while registering: ``register`` and
    ``register_resolver`` record that plugin as the provider; lookups go to the registry."""

    def __init__(self, registry: Registry, provider: Provider) -> None:
        self._registry = registry
        self.provider = provider
        self.family = registry.family
        self.kind = registry.kind

    def register(
        self,
        name: str,
        factory: FactoryRef,
        *,
        description: str = "",
        key: str | None = None,
        options: type[BaseModel] | str | None = None,
        default: bool = False,
        **info: Any,
    ) -> None:
        """Add ``name`` (see :meth:`Registry.register`)."""
        self._registry.register(
            name, factory, description=description, key=key, options=options, default=default,
            provider=self.provider, **info,
        )  # fmt: skip

    def register_resolver(self, resolver: Resolver, *, description: str = "") -> None:
        """Add a resolver for parametric names (see :meth:`Registry.register_resolver`)."""
        self._registry.register_resolver(resolver, description=description, provider=self.provider)

    def __getattr__(self, name: str) -> Any:  # get, create, names, by_key, ...
        return getattr(self._registry, name)

    def __contains__(self, name: object) -> bool:
        return name in self._registry

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._registry)

    def __len__(self) -> int:
        return len(self._registry)


def _option_error(exc: Any, model: type[BaseModel], where: str, what: str) -> str:
    """The first error of a pydantic ValidationError as one line naming the section and the key."""
    error = exc.errors()[0]
    loc = error.get("loc") or ()
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if not loc:  # a check across options: its message names the key
        return f"{where}: {what}: {message}".removeprefix(": ")
    key = str(loc[0])  # the option (later parts name a union member)
    if error.get("type") == "extra_forbidden" and len(loc) == 1:
        accepted = ", ".join(model.model_fields) or "none"
        return f"{where}: {what}: unknown option {key!r} (accepted: {accepted})".removeprefix(": ")
    field = model.model_fields.get(key)
    expected = f"; expected {field.description}" if field is not None and field.description else ""
    location = f"{where}.{key}" if where else key
    return f"{location}: {what}: {message} (found {error.get('input')!r}{expected})"


def _parameters(factory: Factory) -> list[inspect.Parameter] | None:
    """``factory``'s parameters (None when it has no inspectable signature)."""
    try:
        return list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):
        return None


def check_options(factory: Factory, options: Mapping[str, Any], what: str) -> None:
    """Reject option names ``factory`` does not accept, naming the accepted ones."""
    params = _parameters(factory)
    if params is None or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return
    accepted = [p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for key in options:
        if key not in accepted:
            listing = ", ".join(accepted) if accepted else "none"
            raise ConfigError(f"{what}: unknown option {key!r} (accepted: {listing})")
