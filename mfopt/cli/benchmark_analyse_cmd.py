"""``mfopt benchmark analyse`` and ``mfopt benchmark train-detector``: labels, detector scores, a learned detector."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer

from mfopt.cli.benchmark_cmd import benchmark_app
from mfopt.errors import ConfigError


def _instances(results: list[Path], labelling: str) -> list[Any]:
    """The labelled instances of every results file (rows of all files pooled)."""
    from mfopt.benchmark.analysis import group
    from mfopt.benchmark.export import read_rows
    from mfopt.benchmark.labels import LABELLINGS

    if labelling not in LABELLINGS:
        raise ConfigError(f"--labels: expected one of {', '.join(LABELLINGS)}, got {labelling!r}")
    instances = group(read_rows(results), labelling)
    if not instances:
        raise ConfigError(f"{', '.join(map(str, results))}: no instance with both kriging and cokriging rows yet")
    return instances


def _pct(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{100 * value:.1f} %"


def detector_table(detectors: list[dict[str, Any]]) -> str:
    """Plain fixed-width table, best accuracy first (readable in logs and narrow terminals)."""
    head = ("detector", "accuracy", "coverage", "cases", "use:CK good", "use:CK bad", "ignore:K good", "ignore:K bad")
    lines = ["{:<20}{:>9}{:>9}{:>7}{:>12}{:>11}{:>14}{:>13}".format(*head)]
    for s in sorted(detectors, key=lambda s: -(s["accuracy"] if s["accuracy"] == s["accuracy"] else -1.0)):
        lines.append(
            f"{s['detector']:<20}{_pct(s['accuracy']):>9}{_pct(s['coverage']):>9}{s['cases']:>7}"
            f"{s['use_low_and_cokriging_good']:>12}{s['use_low_and_cokriging_bad']:>11}"
            f"{s['ignore_low_and_kriging_good']:>14}{s['ignore_low_and_kriging_bad']:>13}"
        )
    lines.append("cases = instance x repetition; 'always' = always Co-Kriging (CK), 'never' = always Kriging (K)")
    return "\n".join(lines)


def rule_table(rules: list[dict[str, Any]]) -> str:
    """Per rule set and rule of the rule-based detectors: cases, the model chosen, each model's good share."""
    lines = ["{:<20}{:>6}{:>8}{:>11}{:>9}{:>9}".format("rules of", "rule", "cases", "chooses", "K good", "CK good")]
    for r in rules:
        rule = r["rule"] if len(r["rule"]) > 1 else f"set {r['rule']}"
        lines.append(
            f"{r['detector']:<20}{rule:>6}{r['cases']:>8}{r['chooses'] or '-':>11}"
            f"{_pct(r['kriging_good']):>9}{_pct(r['cokriging_good']):>9}"
        )
    lines.append(
        "paper (Andrés-Thió et al. 2024): guideline set 1 -> Kriging good 87.8 %, set 2 -> Co-Kriging good 81.6 %"
    )
    return "\n".join(lines)


def mix_table(report: dict[str, Any]) -> str:
    """Each stored detector's accuracy per label class and re-weighted to the paper's label mix
    (:mod:`mfopt.benchmark.label_mix`), then the guideline's rule sets at that mix."""
    from mfopt.benchmark.label_mix import PAPER_MIX

    cases = report["class_cases"]
    total = sum(cases.values()) or 1
    share = ", ".join(f"{_CLASS_NAMES[c]} {_pct(n / total)}" for c, n in cases.items() if c != "neither")
    paper = ", ".join(f"{_CLASS_NAMES[c]} {_pct(w)}" for c, w in PAPER_MIX.items() if c != "neither")
    lines = [
        f"accuracy by label class (these cases: {share}; neither {cases['neither']}) and at the paper's mix ({paper})",
        "{:<20}{:>11}{:>11}{:>9}{:>12}".format("detector", "only K", "only CK", "both", "paper mix"),
    ]
    for s in sorted(
        report["by_label"], key=lambda s: -(s["mix_accuracy"] if s["mix_accuracy"] == s["mix_accuracy"] else -1.0)
    ):
        acc = s["accuracy"]
        lines.append(
            f"{s['detector']:<20}{_pct(acc['kriging']):>11}{_pct(acc['cokriging']):>11}{_pct(acc['both']):>9}"
            f"{_pct(s['mix_accuracy']):>12}"
        )
    sets = {r["rule"]: r for r in report["mix_rules"]}
    if "1" in sets and "2" in sets:
        lines.append(
            f"guideline at the paper's mix: set 1 -> Kriging good {_pct(sets['1']['kriging_good'])} (paper 87.8 %), "
            f"set 2 -> Co-Kriging good {_pct(sets['2']['cokriging_good'])} (paper 81.6 %)"
        )
    return "\n".join(lines)


_CLASS_NAMES = {"kriging": "only K good", "cokriging": "only CK good", "both": "both good", "neither": "neither"}


@benchmark_app.command("analyse")
def analyse_command(
    results: list[Path] = typer.Argument(
        ..., help="Results files of `mfopt benchmark run` or exports of them (pooled)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable output."),
    plots: Path | None = typer.Option(None, "--plots", help="Write the PNG plots into this directory."),
    labels: str = typer.Option("paper", "--labels", help="paper (v1 rule, default) | code (the authors' R code)."),
    detector_file: list[Path] = typer.Option(
        [], "--detector-file", help="Also score a trained detector JSON on the stored features (repeatable)."
    ),
) -> None:
    """Label every instance (paired Wilcoxon) and score every detector: accuracy, coverage, confusion."""
    from mfopt.benchmark.analysis import score_detectors, summary
    from mfopt.benchmark.label_mix import by_label, class_cases, reweighted_rule_sets
    from mfopt.benchmark.linear_model import LinearDetector
    from mfopt.cli.output import print_json

    instances = _instances(results, labels)
    try:
        extra = {f"file:{p.stem}": LinearDetector.load(p) for p in detector_file}
    except ValueError as exc:
        raise ConfigError(f"--detector-file: {exc}") from None
    scores = score_detectors(instances, extra)
    report = summary(instances, scores, labels)
    stored = sorted({k for inst in instances for d in inst.decisions for k in d})
    report["class_cases"] = class_cases(instances)
    report["by_label"] = by_label(instances, stored)
    report["mix_rules"] = reweighted_rule_sets(instances)
    if plots is not None:
        from mfopt.benchmark.study_plots import good_share, instance_space

        plots.mkdir(parents=True, exist_ok=True)
        report["plots"] = [
            str(good_share(instances, plots / "good_share.png")),
            str(instance_space(instances, plots / "instance_space.png", extra)),
        ]
    if as_json:
        print_json(report)
        return
    counts = report["label_counts"]
    typer.echo(
        f"{report['labelled_instances']} labelled instances ({report['pairs']} pairs), labels '{labels}': "
        f"only Kriging good {counts['kriging']}, only Co-Kriging good {counts['cokriging']}, "
        f"both {counts['both']}, neither {counts['neither']}; Kriging good {_pct(report['kriging_good_share'])}, "
        f"Co-Kriging good {_pct(report['cokriging_good_share'])}"
    )
    typer.echo(detector_table(report["detectors"]))
    if report["rules"]:
        typer.echo(rule_table(report["rules"]))
    typer.echo(mix_table(report))
    for path in report.get("plots", []):
        typer.echo(f"plot: {path}")


@benchmark_app.command("train-detector")
def train_command(
    results: list[Path] = typer.Argument(
        ..., help="Results files of `mfopt benchmark run` or exports of them (pooled)."
    ),
    out: Path = typer.Option(..., "--out", help="Where to write the detector JSON."),
    labels: str = typer.Option("paper", "--labels", help="paper | code: the labels to learn."),
    folds: int = typer.Option(5, "--folds", help="Grouped cross-validation folds (grouped by function pair)."),
    mix: str = typer.Option(
        "sample", "--mix", help="sample | paper: weight the cases to the sample's own label mix or to the paper's."
    ),
) -> None:
    """Fit the logistic-regression detector on the features (deferring to the guideline where it is not
    confident); report its accuracy on held-out pairs. `--mix paper` trains and scores it for the
    paper's label mix (each case weighted by its label class)."""
    from mfopt.benchmark.label_mix import PAPER_MIX
    from mfopt.benchmark.train import DEFAULT, train

    if mix not in ("sample", "paper"):
        raise ConfigError(f"--mix: expected sample or paper, got {mix!r}")
    instances = _instances(results, labels)
    try:
        model = train(instances, labels, folds, PAPER_MIX if mix == "paper" else None, mix)
    except ValueError as exc:
        raise ConfigError(f"{', '.join(map(str, results))}: {exc}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(model.to_json() + "\n")
    t, cv = model.trained_on, model.cv
    typer.echo(
        f"trained on {t['instances']} instances of {t['pairs']} pairs ({t['cases']} cases, {t['fit_cases']} with "
        f"only one good model), labels '{labels}'"
    )
    typer.echo(
        f"grouped {cv['folds']}-fold CV by function pair ({cv['cases_scored']} held-out cases), settings "
        f"{DEFAULT.describe()}: learned {_pct(cv['learned_accuracy'])} (without deferring to the guideline "
        f"{_pct(cv['learned_alone_accuracy'])}), guideline {_pct(cv['guideline_accuracy'])}, "
        f"always {_pct(cv['always_accuracy'])}, never {_pct(cv['never_accuracy'])}"
    )
    nested = cv.get("nested")
    if nested:
        typer.echo(
            f"nested grouped {nested['folds']}-fold CV (settings chosen from {nested['grid']} inside each outer fold, "
            f"on its training pairs only): learned {_pct(nested['learned_accuracy'])}, guideline "
            f"{_pct(nested['guideline_accuracy'])} ({nested['cases_scored']} held-out cases); chosen: "
            + "; ".join(nested["chosen"])
        )
        if mix == "paper":
            typer.echo(
                f"the same nested CV at the paper's label mix (fit, choice and score weighted to it): learned "
                f"{_pct(nested['learned_mix_accuracy'])}, guideline {_pct(nested['guideline_mix_accuracy'])}, "
                f"always {_pct(nested['always_mix_accuracy'])}, never {_pct(nested['never_mix_accuracy'])}"
            )
    typer.echo(f"written model: settings chosen the same way on all {t['pairs']} pairs: {t['settings']}")
    typer.echo(f"wrote {out}")
