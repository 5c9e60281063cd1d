"""The problem plugin's name table: every registered name without importing torch.

The problems are torch functions; importing their modules costs seconds. ``catalog.json`` holds
what registration needs (name, the module that defines it, description, dimension, domain,
fidelities, optimum, family; the resolvers of parametric names), so ``mfopt plugins`` and
``mfopt problems`` list ~300 problems without torch. A name's module is imported the first time
that name is created (or its options are checked); a resolver's module the first time a name
outside the table is looked up.

The table is generated from the modules' own ``register`` functions:
``python -m mfopt_problems.catalog`` rewrites it; ``tests/contract/test_problem_catalog.py``
fails while it differs from what the modules register.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mfopt.plugin.registry import ScopedRegistry

#: modules whose ``register(registry)`` defines the catalogued names, in registration order
SOURCES = ("literature", "mf_hartmann", "robust_pairs", "disturbance", "solar")
TABLE = Path(__file__).with_name("catalog.json")


@dataclass
class _Recorder:
    """Stands in for the registry while a source module registers: records what it registers."""

    factories: dict[str, Callable[..., Any]] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)
    resolvers: list[tuple[Callable[[str], Any], str]] = field(default_factory=list)

    def register(
        self,
        name: str,
        factory: Callable[..., Any],
        *,
        description: str = "",
        key: str | None = None,
        options: str | None = None,
        **info: Any,
    ) -> None:
        self.factories[name] = factory
        model = {"options": options} if options is not None else {}  # "module:Name", imported when used
        self.entries.append({"name": name, "description": description, **model, "info": info})

    def register_resolver(self, resolver: Callable[[str], Any], *, description: str = "") -> None:
        self.resolvers.append((resolver, description))


@functools.cache
def recorded(module: str) -> _Recorder:
    """What ``mfopt_problems.<module>.register`` registers (imports the module: torch)."""
    recorder = _Recorder()
    importlib.import_module(f"mfopt_problems.{module}").register(recorder)
    return recorder


@dataclass(frozen=True)
class CatalogFactory:
    """The factory of a catalogued name: imports its module on first call. Its signature is the
    real factory's, so the registry checks option names as for any factory."""

    module: str
    name: str

    def load(self) -> Callable[..., Any]:
        return recorded(self.module).factories[self.name]

    @property
    def __signature__(self) -> inspect.Signature:
        return inspect.signature(self.load())

    def __call__(self, **options: Any) -> Any:
        return self.load()(**options)


@dataclass(frozen=True)
class CatalogResolver:
    """The ``index``-th resolver registered by ``module``, imported when first asked."""

    module: str
    index: int

    def __call__(self, name: str) -> Any:
        return recorded(self.module).resolvers[self.index][0](name)


def build() -> dict[str, Any]:
    """The table as the source modules register it now (imports every source module)."""
    names: list[dict[str, Any]] = []
    resolvers: list[dict[str, Any]] = []
    for module in SOURCES:
        record = recorded(module)
        names += [{"module": module, **entry} for entry in record.entries]
        resolvers += [{"module": module, "index": i, "description": d} for i, (_, d) in enumerate(record.resolvers)]
    return json.loads(json.dumps({"names": names, "resolvers": resolvers}))  # tuples -> lists, as stored


@functools.cache
def table() -> dict[str, Any]:
    """The stored table (``catalog.json``)."""
    return dict(json.loads(TABLE.read_text(encoding="utf-8")))


def register(registry: ScopedRegistry) -> None:
    """Register every catalogued name and resolver, importing none of their modules."""
    stored = table()
    for entry in stored["names"]:
        factory = CatalogFactory(entry["module"], entry["name"])
        registry.register(
            entry["name"], factory, description=entry["description"], options=entry.get("options"), **entry["info"]
        )
    for r in stored["resolvers"]:
        registry.register_resolver(CatalogResolver(r["module"], r["index"]), description=r["description"])


def main() -> None:
    """Rewrite ``catalog.json`` from the source modules."""
    data = build()
    lines = {key: ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows) for key, rows in data.items()}
    text = "{\n" + ",\n".join(f'"{key}": [\n{rows}\n]' for key, rows in lines.items()) + "\n}\n"  # a row a line
    TABLE.write_text(text, encoding="utf-8")
    print(f"wrote {TABLE}: {len(data['names'])} names, {len(data['resolvers'])} resolvers")


if __name__ == "__main__":
    main()
