"""``mfopt plugins``: which plugins are loaded, which are broken (and why), and what each family offers."""

from __future__ import annotations

import typer

from mfopt.cli import app
from mfopt.cli.output import print_json, print_table


@app.command("plugins")
def plugins_command(
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable listing."),
) -> None:
    """List plugin families, their registered names and the distribution providing each; broken plugins
    (failed to import, or an entry-point name clash) with their distribution and error."""
    from mfopt.plugin.manager import FAMILIES, get_plugin_manager

    pm = get_plugin_manager()
    listing: dict[str, list[dict[str, str]]] = {}
    for family in FAMILIES:
        registry = pm.registries[family]
        items = [
            {
                "name": e.name,
                "plugin": e.provider.plugin,
                "distribution": e.provider.distribution,
                "version": e.provider.version,
                "description": e.description,
            }
            for e in registry
        ]
        items += [
            {
                "name": f"<{r.description or 'parametric names'}>",
                "plugin": r.provider.plugin,
                "distribution": r.provider.distribution,
                "version": r.provider.version,
                "description": r.description,
            }
            for r in registry.resolvers
        ]
        listing[family] = items
    plugins = [
        {"name": p.name, "distribution": p.distribution, "version": p.version, "module": p.module} for p in pm.plugins()
    ]
    broken = [
        {"name": b.name, "distribution": b.distribution, "version": b.version, "module": b.value, "error": b.error}
        for b in pm.broken()
    ]
    if as_json:
        print_json({"plugins": plugins, "broken": broken, "families": listing})
        return
    print_table(
        "Plugins",
        ["plugin", "distribution", "version", "module"],
        [[p["name"], p["distribution"], p["version"], p["module"]] for p in plugins],
    )
    for family, items in listing.items():
        if family == "problems" and len(items) > 20:
            by_plugin: dict[tuple[str, str], int] = {}
            for item in items:
                key = (item["plugin"], f"{item['distribution']} {item['version']}")
                by_plugin[key] = by_plugin.get(key, 0) + 1
            print_table(
                "problems (see `mfopt problems` for the full list)",
                ["plugin", "distribution", "names"],
                [[k[0], k[1], str(n)] for k, n in by_plugin.items()],
            )
            continue
        print_table(
            family,
            ["name", "plugin", "distribution"],
            [[i["name"], i["plugin"], f"{i['distribution']} {i['version']}"] for i in items],
        )
    if broken:
        print_table(
            "Broken plugins (not loaded)",
            ["plugin", "distribution", "module", "error"],
            [[b["name"], f"{b['distribution']} {b['version']}", b["module"], b["error"]] for b in broken],
        )
