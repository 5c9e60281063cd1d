"""First-party plugins register without importing their implementations: ``mfopt plugins`` starts
without torch, and the problem plugin's stored name table is exactly what its modules register."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from mfopt_problems import catalog

from mfopt import ConfigError, get_plugin_manager

HEAVY = ("torch", "botorch", "gpytorch", "scipy", "numpy", "mfopt.data", "mfopt_problems.literature")

_PROBE = """
import sys
from mfopt.cli import main
code = main(["plugins", "--json"])
print("RESULT", code, sorted(m for m in {heavy!r} if m in sys.modules))
"""


def test_listing_plugins_imports_no_torch() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=HEAVY)], capture_output=True, text=True, timeout=120, check=True
    )
    listing, _, result = out.stdout.rpartition("RESULT")
    assert result.split() == ["0", "[]"], out.stdout[-2000:] + out.stderr
    data = json.loads(listing)
    assert data["broken"] == []
    assert {"gated", "robust"} <= {i["name"] for i in data["families"]["strategies"]}
    names = {i["name"] for i in data["families"]["problems"]}
    assert len(names) == len(catalog.table()["names"]) + 2 + len(catalog.table()["resolvers"])
    assert {"SongToalForretal0.50", "MFHartmann6-bad", "python", "command"} <= names


def test_the_stored_name_table_is_what_the_modules_register() -> None:
    # on failure: `python -m mfopt_problems.catalog` rewrites plugins/mfopt_problems/catalog.json
    assert catalog.table() == catalog.build()


def test_a_catalogued_name_builds_its_module_s_problem() -> None:
    pm = get_plugin_manager()
    problem = pm.problems.create("SongToalForretal0.00")
    direct = catalog.recorded("literature").factories["SongToalForretal0.00"]()
    x = torch.tensor([[0.1], [0.757249]], dtype=torch.float64)
    assert torch.equal(problem.evaluate(x, "high"), direct.evaluate(x, "high"))
    assert problem.evaluate(x[1:], "high").item() == pytest.approx(-6.02074, abs=1e-5)
    assert pm.problems.get("MFHartmann3-bad").info["dim"] == 3
    assert pm.problems.create("WangRastrigin-d3-error2-phi500").dim == 3  # through the lazy resolver


def test_a_catalogued_name_checks_its_options_like_its_factory() -> None:
    pm = get_plugin_manager()
    with pytest.raises(ConfigError, match=r"problem 'SongToalForretal0.00': unknown option 'noise' \(accepted: none\)"):
        pm.problems.create("SongToalForretal0.00", noise=1)
    with pytest.raises(ConfigError, match=r"unknown option 'exe' \(accepted: executable, low_fidelity, timeout\)"):
        pm.problems.create("solar", exe="x")
