"""Malformed problem.toml files and command-line usage errors: every one exits 2 with ONE line on
stderr naming the file (and the key where there is one), no traceback, and no run store left.

Each case is generated in ``tmp_path`` and run in-process through :func:`mfopt.cli.main` (fast);
a handful run again as real subprocesses.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from mfopt.cli import main

BASE = {
    "problem": 'name = "SongToalForretal0.50"\ncosts = { low = 0.1, high = 1.0 }',
    "budget": "total = 10.0",
    "design": "samples = { low = 5, high = 3 }\nseed = 1",
    "surrogate": 'name = "kriging"',
    "multi_surrogate": 'name = "cokriging"',
    "detector": 'name = "guideline"',
    "acquisition": 'name = "augmented-ei"',
    "executor": 'name = "serial"',
    "run": "seed = 1",
}


def toml(**sections: str | None) -> str:
    """The base file with sections replaced (a string), removed (None) or added."""
    merged = {**BASE, **sections}
    return "\n".join(f"[{name}]\n{body}\n" for name, body in merged.items() if body is not None)


@dataclass(frozen=True)
class Case:
    id: str
    text: str  # the problem.toml
    expect: tuple[str, ...]  # substrings of the error line (besides the file name)


def _case(id: str, text: str, *expect: str) -> Case:
    return Case(id, text, expect)


CASES: list[Case] = [
    # TOML syntax
    _case("toml-unclosed-table", "[problem\nname = 'x'\n", "invalid TOML"),
    _case("toml-missing-value", "[budget]\ntotal =\n", "invalid TOML"),
    _case("toml-unquoted-string", "[problem]\nname = SongToal\n", "invalid TOML"),
    _case("toml-duplicate-key", toml(budget="total = 1\ntotal = 2"), "invalid TOML"),
    _case("toml-duplicate-table", toml() + "\n[budget]\ntotal = 3\n", "invalid TOML"),
    _case("toml-bad-escape", '[problem]\nname = "a\\q"\n', "invalid TOML"),
    _case("toml-unclosed-array", toml(design="samples = { high = [3, 4 }"), "invalid TOML"),
    _case("toml-unclosed-string", '[problem]\nname = "abc\n', "invalid TOML"),
    _case("toml-bare-words", "this is not toml at all\n", "invalid TOML"),
    _case("toml-bad-date", toml(run="seed = 2024-13-45"), "invalid TOML"),
    _case("toml-trailing-comma-inline", toml(problem='name = "x", '), "invalid TOML"),
    _case("toml-key-without-equals", "[budget]\ntotal 10\n", "invalid TOML"),
    # structure
    _case("empty-file", "", "[budget]", "required"),
    _case("only-comment", "# nothing here\n", "[budget]", "required"),
    _case("no-budget", toml(budget=None), "[budget]", "required"),
    _case("no-problem", toml(problem=None), "[problem]", "required"),
    _case("unknown-section", toml(solver="name = 'x'"), "solver", "unknown key"),
    _case("unknown-section-typo", toml(budgte="total = 1"), "budgte", "unknown key"),
    _case("section-is-a-value", "budget = 3\n" + toml(budget=None), "[budget]"),
    _case("problem-is-a-string", 'problem = "SongToalForretal0.50"\n[budget]\ntotal = 5\n', "problem"),
    _case("run-is-an-array", "run = [1, 2]\n" + toml(run=None), "[run]"),
    _case("problem-empty", toml(problem=""), "[problem]", "name"),
    _case("problem-only-costs", toml(problem="costs = { low = 0.1 }"), "[problem]", "name"),
    # [budget]
    _case("budget-empty", toml(budget=""), "[budget]", "total"),
    _case("budget-unknown-key", toml(budget="totl = 10"), "[budget].totl", "unknown key"),
    _case("budget-total-zero", toml(budget="total = 0"), "[budget].total", "greater than 0"),
    _case("budget-total-negative", toml(budget="total = -5"), "[budget].total", "greater than 0"),
    _case("budget-total-string", toml(budget='total = "ten"'), "[budget].total"),
    _case("budget-total-inf", toml(budget="total = inf"), "[budget].total", "finite"),
    _case("budget-total-nan", toml(budget="total = nan"), "[budget].total", "finite"),
    _case("budget-total-array", toml(budget="total = [10]"), "[budget].total"),
    _case("budget-total-bool", toml(budget="total = true"), "[budget].total"),
    _case("budget-max-zero", toml(budget="max_evaluations = 0"), "[budget].max_evaluations"),
    _case("budget-max-float", toml(budget="max_evaluations = 2.5"), "[budget].max_evaluations"),
    _case("budget-max-string", toml(budget='max_evaluations = "many"'), "[budget].max_evaluations"),
    _case("budget-target-string", toml(budget='total = 10\ntarget = "low"'), "[budget].target"),
    _case("budget-target-nan", toml(budget="total = 10\ntarget = nan"), "[budget].target", "finite"),
    _case("budget-wall-negative", toml(budget="total = 10\nwall_time = -1"), "[budget].wall_time"),
    _case("budget-wall-inf", toml(budget="total = 10\nwall_time = inf"), "[budget].wall_time", "finite"),
    _case("budget-design-too-dear", toml(budget="total = 2"), "[budget].total", "initial design"),
    # [design]
    _case("design-unknown-key", toml(design="sample = { high = 3 }"), "[design].sample", "unknown key"),
    _case("design-samples-zero", toml(design="samples = { low = 5, high = 0 }"), "[design].samples", "at least 1"),
    _case("design-samples-negative", toml(design="samples = { low = -5, high = 3 }"), "[design].samples"),
    _case("design-samples-string", toml(design='samples = { high = "three" }'), "[design].samples"),
    _case("design-samples-not-table", toml(design="samples = 5"), "[design].samples"),
    _case("design-samples-unknown-fidelity", toml(design="samples = { medium = 3 }"), "[design].samples", "medium"),
    _case("design-not-nested", toml(design="samples = { low = 2, high = 3 }"), "[design].samples", "nested"),
    _case("design-seed-string", toml(design='seed = "one"'), "[design].seed"),
    _case("design-seed-float", toml(design="seed = 1.5"), "[design].seed"),
    # [problem]
    _case("problem-unknown-name", toml(problem='name = "Forester"'), "[problem].name", "unknown problem"),
    _case("problem-name-number", toml(problem="name = 3"), "[problem].name"),
    _case("problem-name-empty", toml(problem='name = ""'), "[problem]"),
    _case("problem-unknown-option", toml(problem='name = "SongToalForretal0.50"\nnoise = 1'), "[problem]", "noise"),
    _case(
        "problem-costs-negative",
        toml(problem='name = "SongToalForretal0.50"\ncosts = { low = -0.1 }'),
        "[problem].costs",
    ),
    _case("problem-costs-zero", toml(problem='name = "SongToalForretal0.50"\ncosts = { low = 0 }'), "[problem].costs"),
    _case(
        "problem-costs-string",
        toml(problem='name = "SongToalForretal0.50"\ncosts = { low = "cheap" }'),
        "[problem].costs",
    ),
    _case(
        "problem-costs-unknown-fidelity",
        toml(problem='name = "SongToalForretal0.50"\ncosts = { medium = 0.5 }'),
        "[problem].costs",
        "medium",
    ),
    _case("problem-costs-inf", toml(problem='name = "SongToalForretal0.50"\ncosts = { low = inf }'), "[problem].costs"),
    _case("problem-costs-not-table", toml(problem='name = "SongToalForretal0.50"\ncosts = 3'), "[problem].costs"),
    _case("problem-unknown-kind-key", toml(problem="objective = 'm:f'\nlower = [0]\nupper = [1]"), "[problem]"),
    _case("python-no-colon", toml(problem='python = "nomodule"\nlower = [0.0]\nupper = [1.0]'), "[problem]", "python"),
    _case(
        "python-missing-module",
        toml(problem='python = "no_such_module_xyz:f"\nlower = [0.0]\nupper = [1.0]'),
        "[problem]",
        "no_such_module_xyz",
    ),
    _case(
        "python-missing-function",
        toml(problem='python = "math:no_such_function"\nlower = [0.0]\nupper = [1.0]'),
        "[problem]",
        "no_such_function",
    ),
    _case("python-not-string", toml(problem="python = 3\nlower = [0.0]\nupper = [1.0]"), "[problem]", "python"),
    _case("python-no-bounds", toml(problem='python = "math:sin"'), "[problem]"),
    _case("python-lower-above-upper", toml(problem='python = "math:sin"\nlower = [1.0]\nupper = [0.0]'), "[problem]"),
    _case("python-bounds-length", toml(problem='python = "math:sin"\nlower = [0.0, 0.0]\nupper = [1.0]'), "[problem]"),
    _case("python-bounds-strings", toml(problem='python = "math:sin"\nlower = ["a"]\nupper = ["b"]'), "[problem]"),
    _case("python-bounds-inf", toml(problem='python = "math:sin"\nlower = [-inf]\nupper = [1.0]'), "[problem]"),
    _case(
        "python-fidelities-not-array",
        toml(problem='python = "math:sin"\nlower = [0.0]\nupper = [1.0]\nfidelities = 3'),
        "[problem]",
    ),
    _case(
        "python-fidelity-no-name",
        toml(problem='python = "math:sin"\nlower = [0.0]\nupper = [1.0]\nfidelities = [{ level = 1.0 }]'),
        "[problem]",
    ),
    _case("command-not-array", toml(problem='command = "./sim {input}"\nlower = [0.0]\nupper = [1.0]'), "[problem]"),
    _case("command-empty", toml(problem="command = []\nlower = [0.0]\nupper = [1.0]"), "[problem]"),
    _case("command-no-point", toml(problem='command = ["echo", "1"]\nlower = [0.0]\nupper = [1.0]'), "[problem]"),
    _case(
        "command-missing-program",
        toml(problem='command = ["no-such-program-xyz", "{x}"]\nlower = [0.0]\nupper = [1.0]'),
        "[problem]",
        "no-such-program-xyz",
    ),
    _case(
        "command-timeout-negative",
        toml(problem='command = ["echo", "{x}"]\nlower = [0.0]\nupper = [1.0]\ntimeout = -1'),
        "[problem]",
        "timeout",
    ),
    _case(
        "command-cwd-missing",
        toml(problem='command = ["echo", "{x}"]\nlower = [0.0]\nupper = [1.0]\ncwd = "/no/such/dir"'),
        "[problem]",
        "cwd",
    ),
    _case(
        "command-env-not-strings",
        toml(problem='command = ["echo", "{x}"]\nlower = [0.0]\nupper = [1.0]\nenv = { A = 1 }'),
        "[problem]",
        "env",
    ),
    # plugin sections: unknown names and options
    _case("surrogate-unknown", toml(surrogate='name = "krigin"'), "[surrogate].name", "kriging"),
    _case("surrogate-unknown-option", toml(surrogate='name = "kriging"\nnugget = 1'), "[surrogate]", "nugget"),
    _case("surrogate-name-number", toml(surrogate="name = 1"), "[surrogate].name"),
    _case(
        "surrogate-is-multi-fidelity",
        toml(surrogate='name = "cokriging"', multi_surrogate=None, detector=None),
        "[surrogate].name",
        "multi-fidelity",
    ),
    _case("multi-unknown", toml(multi_surrogate='name = "cokrig"'), "[multi_surrogate].name", "cokriging"),
    _case("multi-single-fidelity", toml(multi_surrogate='name = "kriging"'), "[multi_surrogate].name", "single"),
    _case("multi-no-name", toml(multi_surrogate="rho = 1"), "[multi_surrogate].name", "required"),
    _case("multi-unknown-option", toml(multi_surrogate='name = "cokriging"\nfoo = 2'), "[multi_surrogate]", "foo"),
    _case("detector-unknown", toml(detector='name = "guidline"'), "[detector].name", "guideline"),
    _case("detector-unknown-option", toml(detector='name = "guideline"\ncutoff = 0.5'), "[detector]", "cutoff"),
    _case("detector-without-multi", toml(multi_surrogate=None), "[detector]", "[multi_surrogate]"),
    _case("acquisition-unknown", toml(acquisition='name = "ei"'), "[acquisition].name", "unknown acquisition"),
    _case("acquisition-q-zero", toml(acquisition='name = "logei"\nq = 0'), "[acquisition].q"),
    _case("acquisition-q-huge", toml(acquisition='name = "logei"\nq = 1000'), "[acquisition].q"),
    _case("acquisition-q-string", toml(acquisition='name = "logei"\nq = "two"'), "[acquisition].q"),
    _case("acquisition-unknown-option", toml(acquisition='name = "logei"\nxi = 0.1'), "[acquisition]", "xi"),
    _case("executor-typo", toml(executor='name = "proces"'), "[executor].name", "process"),
    _case("executor-unknown-option", toml(executor='name = "process"\nthreads = 2'), "[executor]", "threads"),
    _case("executor-name-array", toml(executor='name = ["serial"]'), "[executor].name"),
    # option values, checked by each plugin's own option model
    _case("surrogate-option-range", toml(surrogate='name = "kriging"\nn_starts = 0'), "[surrogate].n_starts"),
    _case("surrogate-option-type", toml(surrogate='name = "kriging"\np = "fast"'), "[surrogate].p", "'learn'"),
    _case("multi-option-type", toml(multi_surrogate='name = "cokriging"\nuse_prediction = 1'), "use_prediction"),
    _case("detector-option-range", toml(detector='name = "toal-cc"\nthreshold = 2.0'), "[detector].threshold"),
    _case("acquisition-option-range", toml(acquisition='name = "lcb"\nbeta = -1.0'), "[acquisition].beta"),
    _case("executor-option-range", toml(executor='name = "process"\nworkers = 0'), "[executor].workers"),
    # [run]
    _case("run-unknown-key", toml(run="sed = 1"), "[run].sed", "unknown key"),
    _case("run-seed-string", toml(run='seed = "x"'), "[run].seed"),
    _case("run-device-unknown", toml(run='device = "tpu"'), "[run].device"),
    _case("run-impute-string", toml(run='impute_failures = "yes"'), "[run].impute_failures"),
    _case("run-dir-number", toml(run="dir = 3"), "[run].dir"),
]
if not torch.cuda.is_available():
    CASES.append(_case("run-device-cuda-absent", toml(run='device = "cuda"'), "[run].device", "CUDA"))


def _assert_one_line_error(code: int, err: str, *expect: str) -> str:
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for text in expect:
        assert text in lines[0], f"{text!r} not in {lines[0]!r}"
    return lines[0]


def test_at_least_a_hundred_cases() -> None:
    assert len(CASES) + len(USAGE) >= 100
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_problem_toml(case: Case, in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = in_tmp / "problem.toml"
    config.write_text(case.text, encoding="utf-8")
    run_dir = in_tmp / "out" / "run"
    code = main(["optimize", str(config), "--run-dir", str(run_dir), "--quiet"])
    _assert_one_line_error(code, capsys.readouterr().err, str(config), *case.expect)
    assert not (in_tmp / "out").exists(), sorted(p.name for p in (in_tmp / "out").rglob("*"))
    assert not list(in_tmp.rglob("run.sqlite*"))


def _write_valid(tmp: Path) -> Path:
    path = tmp / "problem.toml"
    path.write_text(toml(), encoding="utf-8")
    return path


# (id, argv with {toml} and {tmp} placeholders, expected substrings of the one line)
USAGE: list[tuple[str, list[str], tuple[str, ...]]] = [
    ("unknown-command", ["optimise", "{toml}"], ("No such command", "optimise")),
    ("unknown-command-2", ["run"], ("No such command",)),
    ("unknown-root-option", ["--verbose", "plugins"], ("No such option", "--verbose")),
    ("optimize-missing-argument", ["optimize"], ("mfopt optimize", "Missing argument")),
    ("optimize-unknown-option", ["optimize", "{toml}", "--fast"], ("No such option", "--fast")),
    ("optimize-extra-argument", ["optimize", "{toml}", "{toml}"], ("unexpected extra argument",)),
    ("optimize-missing-file", ["optimize", "{tmp}/nope.toml"], ("nope.toml", "no such file")),
    ("optimize-directory", ["optimize", "{tmp}"], ("{tmp}", "cannot read")),
    ("optimize-binary-file", ["optimize", "{tmp}/binary.toml"], ("binary.toml", "UTF-8")),
    ("optimize-unreadable-file", ["optimize", "{tmp}/secret.toml"], ("secret.toml",)),
    ("optimize-resume-nothing", ["optimize", "{toml}", "--resume", "--run-dir", "{tmp}/r"], ("--resume", "no run")),
    ("optimize-resume-and-overwrite", ["optimize", "{toml}", "--resume", "--overwrite"], ("--resume", "--overwrite")),
    ("optimize-run-dir-is-a-file", ["optimize", "{toml}", "--run-dir", "{toml}"], ("--run-dir", "file")),
    ("optimize-run-dir-no-value", ["optimize", "{toml}", "--run-dir"], ("--run-dir", "requires an argument")),
    ("optimize-run-dir-unusable", ["optimize", "{toml}", "--run-dir", "/proc/mfopt-run"], ("/proc", "run directory")),
    ("report-missing-argument", ["report"], ("mfopt report", "Missing argument")),
    ("report-missing-dir", ["report", "{tmp}/nowhere"], ("nowhere", "holds no run")),
    ("report-unknown-option", ["report", "{tmp}", "--csv"], ("No such option", "--csv")),
    ("plugins-extra-argument", ["plugins", "extra"], ("unexpected extra argument",)),
    ("problems-dim-not-int", ["problems", "--dim", "two"], ("--dim",)),
    ("features-no-source", ["features"], ("--problem", "--data")),
    ("features-nh-not-int", ["features", "--problem", "x", "--nh", "a", "--nl", "3"], ("--nh",)),
    ("features-missing-csv", ["features", "--data", "{tmp}/none.csv"], ("none.csv",)),
    ("compare-missing-problem", ["compare", "--nh", "3", "--nl", "5"], ("--problem",)),
    ("compare-no-models", ["compare", "--problem", "x", "--nh", "3", "--nl", "5", "--models", ","], ("--models",)),
]


@pytest.mark.parametrize("argv, expect", [(a, e) for _, a, e in USAGE], ids=[i for i, _, _ in USAGE])
def test_usage_errors(
    argv: list[str], expect: tuple[str, ...], in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    valid = _write_valid(in_tmp)
    (in_tmp / "binary.toml").write_bytes(b"\xff\xfe\x00[budget]\x00\x9c")
    secret = in_tmp / "secret.toml"
    secret.write_text(toml())
    secret.chmod(0)
    if argv[-1] == "{tmp}/secret.toml" and os.access(secret, os.R_OK):  # before the run: it would optimise in full
        pytest.skip("running as a user who can read a mode-000 file (root)")
    args = [a.replace("{toml}", str(valid)).replace("{tmp}", str(in_tmp)) for a in argv]
    expect = tuple(e.replace("{tmp}", str(in_tmp)) for e in expect)
    try:
        code = main(args)
    finally:
        secret.chmod(0o600)
    _assert_one_line_error(code, capsys.readouterr().err, *expect)
    assert not list(in_tmp.rglob("run.sqlite*"))


SUBPROCESS_CASES = ["budget-total-inf", "executor-typo", "toml-unclosed-table", "detector-without-multi"]


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_malformed_file_as_a_real_process(case_id: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == case_id)
    config = tmp_path / "problem.toml"
    config.write_text(case.text, encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "mfopt", "optimize", str(config), "--run-dir", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    _assert_one_line_error(out.returncode, out.stderr, str(config), *case.expect)
    assert out.stdout == ""
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("argv", [["optimize"], ["frobnicate"], ["optimize", "x.toml", "--nope"]])
def test_usage_error_as_a_real_process(argv: list[str], tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mfopt", *argv], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    _assert_one_line_error(out.returncode, out.stderr)
