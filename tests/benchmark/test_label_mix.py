"""Accuracy per label class and at the paper's label mix (:mod:`mfopt.benchmark.label_mix`)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from mfopt.benchmark.analysis import InstanceResult, group
from mfopt.benchmark.label_mix import PAPER_MIX, by_label, class_cases, class_weights, reweighted_rule_sets
from mfopt.benchmark.labels import Label
from mfopt.benchmark.results import ResultsStore, Row
from mfopt.cli import main

ONE = "guideline.1c: LCC_0.4 <= 0.7"
TWO = "guideline.2a: LCC_0.95 >= 0.5"


def _instance(pair: str, k_good: bool, ck_good: bool, uses: list[bool], rules: list[str]) -> InstanceResult:
    inst = InstanceResult(pair, 2, 4, 1, list(range(1, len(uses) + 1)))
    inst.decisions = [{"d": u, "guideline": r == TWO} for u, r in zip(uses, rules, strict=True)]
    inst.rules = [{"guideline": r} for r in rules]
    inst.label = Label(k_good, ck_good, 0.0, 0.0)
    return inst


def _panel() -> list[InstanceResult]:
    """Only Kriging good: 2 cases (d right on one); only Co-Kriging good: 4 cases (d right on all);
    both good: 2 cases."""
    return [
        _instance("k", True, False, [False, True], [ONE, ONE]),
        _instance("c1", False, True, [True, True], [TWO, TWO]),
        _instance("c2", False, True, [True, True], [ONE, TWO]),
        _instance("b", True, True, [False, True], [ONE, TWO]),
    ]


def test_paper_mix_is_table_2_of_the_paper() -> None:
    assert PAPER_MIX["kriging"] + PAPER_MIX["both"] == pytest.approx(0.610)  # Pr(Kriging good)
    assert PAPER_MIX["cokriging"] + PAPER_MIX["both"] == pytest.approx(0.618)  # Pr(Co-Kriging good)
    assert math.fsum(PAPER_MIX.values()) == pytest.approx(1.0)


def test_accuracy_per_class_and_at_the_paper_mix() -> None:
    panel = _panel()
    assert class_cases(panel) == {"kriging": 2, "cokriging": 4, "both": 2, "neither": 0}
    scores = {s["detector"]: s for s in by_label(panel, ["d", "guideline"])}
    d = scores["d"]
    assert d["accuracy"]["kriging"] == 0.5 and d["accuracy"]["cokriging"] == 1.0 and d["accuracy"]["both"] == 1.0
    assert math.isnan(d["accuracy"]["neither"]) and d["cases"]["cokriging"] == 4
    assert d["mix_accuracy"] == pytest.approx(0.382 * 0.5 + 0.390 + 0.228)
    # the guideline ignores on rule 1: right on both only-K cases, wrong on c2's first case
    g = scores["guideline"]
    assert g["accuracy"]["kriging"] == 1.0 and g["accuracy"]["cokriging"] == 0.75
    assert g["mix_accuracy"] == pytest.approx(0.382 + 0.390 * 0.75 + 0.228)


def test_a_class_the_mix_weighs_without_cases_gives_nan() -> None:
    only_ck = [_instance("c", False, True, [True, True], [TWO, TWO])]
    assert math.isnan(by_label(only_ck, ["d"])[0]["mix_accuracy"])
    assert by_label(only_ck, ["d"], {"cokriging": 1.0})[0]["mix_accuracy"] == 1.0


def test_rule_sets_reweighted_to_the_mix() -> None:
    panel = _panel()
    w = class_weights(panel)
    assert w == pytest.approx({"kriging": 0.382 * 4, "cokriging": 0.390 * 2, "both": 0.228 * 4, "neither": 0.0})
    sets = {r["rule"]: r for r in reweighted_rule_sets(panel)}
    # set 1: k x2 (K good), c2 x1 (CK good), b x1 (both good)
    one = 2 * w["kriging"] + w["cokriging"] + w["both"]
    assert sets["1"]["kriging_good"] == pytest.approx((2 * w["kriging"] + w["both"]) / one)
    assert sets["1"]["cokriging_good"] == pytest.approx((w["cokriging"] + w["both"]) / one)
    # set 2: c1 x2, c2 x1 (CK good), b x1 (both)
    two = 3 * w["cokriging"] + w["both"]
    assert sets["2"]["cokriging_good"] == pytest.approx(1.0) and sets["2"]["kriging_good"] == pytest.approx(
        w["both"] / two
    )


def test_analyse_prints_the_mix_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Through the CLI on a real results file: 2 pairs, Co-Kriging clearly better on one, worse on the other."""
    rows = []
    for p, helps in (("good", True), ("bad", False)):
        for rep in range(1, 7):
            k = 0.8 + 0.001 * rep
            decisions: dict[str, bool | None] = {"always": True, "never": False}
            for model, corr in (("kriging", k), ("cokriging", k + (0.1 if helps else -0.1))):
                rows.append(Row(p, 2, 4, 1, rep, rep, model, corr, 0.1, 0.0, {"CC": 0.5}, decisions))
    db = tmp_path / "r.sqlite"
    with ResultsStore(db) as store:
        store.add(rows)
    assert {i.label_class() for i in group(rows)} == {"kriging", "cokriging"}
    assert main(["benchmark", "analyse", str(db)]) == 0
    out = capsys.readouterr().out
    assert "these cases: only K good 50.0 %, only CK good 50.0 %, both good 0.0 %; neither 0" in out
    assert "at the paper's mix (only K good 38.2 %, only CK good 39.0 %, both good 22.8 %)" in out
    # without a both-good case the paper mix's 22.8 % has no case to weigh: NaN, printed "-"
    assert any(line.startswith("always") and line.rstrip().endswith("-") for line in out.splitlines())
    assert main(["benchmark", "analyse", str(db), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["class_cases"] == {"kriging": 6, "cokriging": 6, "both": 0, "neither": 0}
    always = next(s for s in report["by_label"] if s["detector"] == "always")
    assert always["accuracy"]["cokriging"] == 1.0 and always["accuracy"]["kriging"] == 0.0
