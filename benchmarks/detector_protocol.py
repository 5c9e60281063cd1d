"""The detectors scored the paper's way: one decision per instance, on its averaged sample features.

``mfopt benchmark analyse`` scores every case (instance, repetition): the decision a practitioner
holding that one sample would take. The paper (Andrés-Thió et al. 2024, §2.3) instead averages
each sample feature over an instance's 40 data sets and scores one decision per instance. This
script applies the rule-based detectors (``guideline``, ``guideline-code``, Toal's ``CC >= 0.7``
and ``>= 0.9``) and the two constant choices to every instance's mean features
(:meth:`~mfopt.benchmark.analysis.InstanceResult.mean_features`) and prints, per detector, the
per-case accuracy of the stored decisions next to the per-instance one, each raw and re-weighted
to the paper's label mix (:mod:`mfopt.benchmark.label_mix`), then the guideline's rule sets 1 and 2
per instance (the paper's 87.8 % and 81.6 % are per instance). The difference between the columns
is the protocol's share of a gap to the paper's figures.

    python benchmarks/detector_protocol.py RESULTS.sqlite [MORE.sqlite ...] [--labels paper|code]
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from mfopt_detectors.rules import GUIDELINE, GUIDELINE_CODE, RuleSet

from mfopt.benchmark.analysis import InstanceResult, group, score_detectors
from mfopt.benchmark.export import read_rows
from mfopt.benchmark.label_mix import PAPER_MIX, by_label

Decide = Callable[[Mapping[str, float]], bool]


def rule_set(rules: RuleSet) -> Decide:
    """The rule set's verdict on a feature mapping."""
    return lambda features: rules.decide(features)[1]


def toal(threshold: float) -> Decide:
    """Toal's rule: use the source iff ``CC >= threshold`` (an undefined CC: ignore it)."""
    return lambda features: not math.isnan(features.get("CC", math.nan)) and features["CC"] >= threshold


#: Stored detector name -> its decision on a feature mapping.
DETECTORS: dict[str, Decide] = {
    "guideline": rule_set(GUIDELINE),
    "guideline-code": rule_set(GUIDELINE_CODE),
    "toal-cc": toal(0.7),
    "toal-cc-0.9": toal(0.9),
    "always": lambda features: True,
    "never": lambda features: False,
}


def instance_weights(instances: Sequence[InstanceResult], mix: Mapping[str, float] = PAPER_MIX) -> list[float]:
    """Per labelled instance, ``mix_c / share_c`` of its label class (shares counted in instances);
    all NaN when a class that ``mix`` weighs has no instance."""
    classes = [i.label_class() for i in instances]
    if any(w > 0 and c not in classes for c, w in mix.items()):
        return [math.nan] * len(classes)  # a class the mix weighs has no instance: no estimate
    return [mix.get(c, 0.0) * len(classes) / classes.count(c) for c in classes]


def weighted_share(values: Sequence[bool], weights: Sequence[float]) -> float:
    """``sum w v / sum w`` (NaN when the weights sum to 0 or are NaN)."""
    total = math.fsum(weights)
    return math.fsum(w for v, w in zip(values, weights, strict=True) if v) / total if total else math.nan


def per_instance(instances: Sequence[InstanceResult]) -> dict[str, tuple[float, float]]:
    """Per detector of :data:`DETECTORS`: accuracy of one decision per instance on its mean
    features, raw and at the paper's label mix."""
    labelled = [i for i in instances if i.label is not None]
    labels = [i.label for i in labelled if i.label is not None]
    features = [i.mean_features() for i in labelled]
    weights = instance_weights(labelled)
    out = {}
    for name, decide in DETECTORS.items():
        right = [(lab.b_good if decide(f) else lab.a_good) for lab, f in zip(labels, features, strict=True)]
        out[name] = (sum(right) / len(right), weighted_share(right, weights))
    return out


def rule_sets(instances: Sequence[InstanceResult]) -> dict[str, dict[str, float]]:
    """The guideline on each instance's mean features: per rule set (``1``, ``2``, ``3``) the
    instances, and the share where Kriging / Co-Kriging is good, raw and at the paper's mix."""
    labelled = [i for i in instances if i.label is not None]
    labels = [i.label for i in labelled if i.label is not None]
    weights = instance_weights(labelled)
    members: dict[str, list[int]] = {}
    for k, inst in enumerate(labelled):
        members.setdefault(GUIDELINE.decide(inst.mean_features())[0].id[:1], []).append(k)
    out = {}
    for key, ks in sorted(members.items()):
        kg = [labels[k].a_good for k in ks]
        cg = [labels[k].b_good for k in ks]
        w = [weights[k] for k in ks]
        out[key] = {
            "instances": len(ks),
            "kriging_good": sum(kg) / len(ks),
            "cokriging_good": sum(cg) / len(ks),
            "kriging_good_mix": weighted_share(kg, w),
            "cokriging_good_mix": weighted_share(cg, w),
        }
    return out


def _pct(value: float) -> str:
    return "-" if math.isnan(value) else f"{100 * value:.1f} %"


def report(instances: Sequence[InstanceResult], labelling: str) -> str:
    """The printed comparison (per case vs per instance, raw and at the paper's mix)."""
    labelled = [i for i in instances if i.label is not None]
    cases = {s.name: s.accuracy for s in score_detectors(labelled)}
    mix = {s["detector"]: s["mix_accuracy"] for s in by_label(labelled, list(DETECTORS))}
    inst = per_instance(labelled)
    lines = [
        f"{len(labelled)} labelled instances ({len({i.pair for i in labelled})} pairs), labels '{labelling}'",
        "{:<16}{:>12}{:>12}{:>14}{:>14}".format("detector", "per case", "at mix", "per instance", "at mix"),
    ]
    for name in DETECTORS:
        lines.append(
            f"{name:<16}{_pct(cases.get(name, math.nan)):>12}{_pct(mix[name]):>12}"
            f"{_pct(inst[name][0]):>14}{_pct(inst[name][1]):>14}"
        )
    lines.append("per case: stored decisions on each repetition's sample; per instance: on the mean features")
    sets = rule_sets(labelled)
    for key, model, name, paper in (("1", "kriging", "Kriging", "87.8"), ("2", "cokriging", "Co-Kriging", "81.6")):
        if key in sets:
            s = sets[key]
            lines.append(
                f"guideline per instance, set {key} ({s['instances']} instances): {name} good "
                f"{_pct(s[model + '_good'])}, at the paper's mix {_pct(s[model + '_good_mix'])} (paper {paper} %)"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "results", nargs="+", type=Path, help="results files of `mfopt benchmark run` or their exports (pooled)"
    )
    parser.add_argument("--labels", default="paper", choices=("paper", "code"))
    args = parser.parse_args(argv)
    print(report(group(read_rows(args.results), args.labels), args.labels))


if __name__ == "__main__":
    main()
