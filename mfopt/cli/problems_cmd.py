"""``mfopt problems``: the registered problems with dimension, domain and description, and the
parametric families (resolvers) that name further problems on demand."""

from __future__ import annotations

from typing import Any

import typer

from mfopt.cli import app
from mfopt.cli.output import print_json, print_table


def _listing(dim: int | None) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    from mfopt.plugin.manager import get_plugin_manager

    registry = get_plugin_manager().problems
    items: list[dict[str, Any]] = []
    for entry in registry:
        info = dict(entry.info)
        if dim is not None and info.get("dim") != dim:
            continue
        items.append(
            {
                "name": entry.name,
                "dim": info.pop("dim", None),
                "domain": info.pop("domain", None),
                "description": entry.description,
                "key": entry.key,
                "plugin": entry.provider.plugin,
                **info,
            }
        )
    resolvers = [
        {"pattern": r.description, "plugin": r.provider.plugin, "distribution": r.provider.distribution}
        for r in registry.resolvers
    ]
    return items, resolvers


def _domain_text(domain: Any) -> str:
    if not domain:
        return "-"
    lower, upper = domain
    if len(set(lower)) == 1 and len(set(upper)) == 1:
        return f"[{lower[0]:g}, {upper[0]:g}]^{len(lower)}"
    return " x ".join(f"[{lo:g}, {hi:g}]" for lo, hi in zip(lower, upper, strict=True))


@app.command("problems")
def problems_command(
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable listing."),
    dim: int | None = typer.Option(None, "--dim", help="Only problems of this dimension."),
) -> None:
    """List registered problems (name, dimension, domain, description) and parametric name families."""
    items, resolvers = _listing(dim)
    if as_json:
        print_json({"count": len(items), "problems": items, "resolvers": resolvers})
        return
    print_table(
        f"Problems ({len(items)})",
        ["name", "dim", "domain", "description"],
        [[i["name"], i["dim"], _domain_text(i["domain"]), i["description"]] for i in items],
    )
    if resolvers:
        rows = [[r["pattern"], r["plugin"]] for r in resolvers]
        print_table("Parametric names (resolved on demand)", ["pattern", "plugin"], rows)
