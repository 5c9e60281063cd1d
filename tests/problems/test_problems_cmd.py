"""``mfopt problems``: listing, JSON shape, dimension filter."""

from __future__ import annotations

import json

import pytest

from mfopt.cli import main


def test_json_listing_covers_required_dimensions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["problems", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["count"] == len(data["problems"]) >= 100
    dims = {p["dim"] for p in data["problems"] if p["dim"] is not None}
    assert {1, 2, 3, 4, 5, 6, 8, 10, 20} <= dims
    branin = next(p for p in data["problems"] if p["name"] == "ToalBranin0.30")
    assert branin["domain"] == [[-5.0, 0.0], [10.0, 15.0]]
    assert branin["description"]
    assert any("WangRastrigin" in r["pattern"] for r in data["resolvers"])


def test_dim_filter(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["problems", "--json", "--dim", "6"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["count"] > 0
    assert all(p["dim"] == 6 for p in data["problems"])
    assert "ShiRosenbrock" in {p["name"] for p in data["problems"]}


def test_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["problems", "--dim", "1"]) == 0
    out = capsys.readouterr().out
    assert "SongToalForretal0.50" in out
    assert "[0, 1]^1" in out
