"""User problems: ``python = "module:function"`` and ``command = [...]`` (real subprocesses)."""

from __future__ import annotations

import math
import pickle
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from mfopt import ConfigError, EvaluationError, get_plugin_manager
from mfopt.components import build_problem
from mfopt.config import load_config, parse_config

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "command_problem"
FIDS = [{"name": "low", "level": 0.5, "cost": 0.1}, {"name": "high", "level": 1.0, "cost": 1.0}]


@pytest.fixture
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "mf_user_sim.py").write_text(
        textwrap.dedent(
            """
            import numpy as np

            def objective(x, fidelity):
                assert isinstance(x, np.ndarray) and x.ndim == 1
                if x[0] > 0.9:
                    raise RuntimeError("solver diverged")
                value = float(np.sum((x - 0.3) ** 2))
                return value if fidelity == "high" else 0.5 * value + 1.0

            def grad(x, fidelity):
                g = 2 * (x - 0.3)
                return g if fidelity == "high" else 0.5 * g

            def not_a_number(x, fidelity):
                return "abc"
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("mf_user_sim", None)
    return "mf_user_sim"


def test_python_problem_selected_by_key(user_module: str, check_problem: Callable[..., None]) -> None:
    config = parse_config(
        {
            "problem": {
                "python": f"{user_module}:objective",
                "gradient": f"{user_module}:grad",
                "lower": [0, 0],
                "upper": [1, 1],
                "fidelities": FIDS,
            },
            "budget": {"total": 5},
        }
    )
    problem = build_problem(config, get_plugin_manager(), "t.toml")
    check_problem(problem, n=4, allow_nan=True)  # objective raises beyond x1 = 0.9 by design
    X = torch.tensor([[0.5, 0.1], [0.3, 0.3]], dtype=torch.float64)
    assert problem.evaluate(X, "high").tolist() == pytest.approx([0.08, 0.0])
    assert problem.evaluate(X, "low").tolist() == pytest.approx([1.04, 1.0])
    assert problem.has_gradients
    assert problem.gradient(X[:1], "high")[0].tolist() == pytest.approx([0.4, -0.4])
    clone = pickle.loads(pickle.dumps(problem))
    assert clone.evaluate(X[:1], "high").item() == pytest.approx(0.08)


def test_python_failures_become_evaluation_errors(user_module: str) -> None:
    problems = get_plugin_manager().problems
    problem = problems.create("python", python=f"{user_module}:objective", lower=[0], upper=[1])
    assert [f.name for f in problem.fidelities] == ["high"]
    with pytest.raises(EvaluationError, match="solver diverged"):
        problem.evaluate(torch.tensor([[0.95]], dtype=torch.float64), "high")
    batch = problem.evaluate(torch.tensor([[0.95], [0.5]], dtype=torch.float64), "high")
    assert math.isnan(batch[0].item()) and batch[1].item() == pytest.approx(0.04)
    bad = problems.create("python", python=f"{user_module}:not_a_number", lower=[0], upper=[1])
    with pytest.raises(EvaluationError, match="not a number"):
        bad.evaluate(torch.tensor([[0.5]], dtype=torch.float64), "high")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"python": "nomodule_xyz:f", "lower": [0], "upper": [1]}, "cannot import"),
        ({"python": "math:nothing", "lower": [0], "upper": [1]}, "no callable"),
        ({"python": "math", "lower": [0], "upper": [1]}, "package.module:function"),
        ({"python": "math:sqrt", "lower": [0, 0], "upper": [1]}, r"upper: .*lower has 2 values but upper has 1"),
        ({"python": "math:sqrt", "lower": [1], "upper": [0]}, r"upper: .*lower\[0\] = 1 must be below upper\[0\]"),
        ({"python": "math:sqrt", "lower": ["a"], "upper": [1]}, r"\[problem\].lower: .*Input should be a valid number"),
        ({"python": "math:sqrt", "lower": [0], "upper": [1], "fidelities": [{"name": "a"}]},
         r"\[problem\].fidelities: .*Field required"),
        ({"python": "math:sqrt", "lower": [0], "upper": [1], "fidelities": [{"name": "a", "level": -3}]},
         r"\[problem\].fidelities: .*greater than 0"),
        ({"python": "math:sqrt", "lower": [0], "upper": [1], "fidelities": [{"name": "a", "level": 1, "x": 1}]},
         r"\[problem\].fidelities: .*Extra inputs are not permitted"),
        ({"python": "math:sqrt", "lower": [0], "upper": [1], "bounds": [0, 1]},
         r"p.toml: \[problem\]: problem 'python': unknown option 'bounds' \(accepted: python, lower"),
        ({"python": "math:sqrt", "lower": [0]}, "give lower and upper"),
        ({"python": "math:sqrt", "lower": [0], "upper": [1], "parameters": {"a": {"type": "int", "low": 1, "high": 3}}},
         "parameters: give either parameters or lower/upper"),
        ({"python": "math:sqrt", "lower": [0], "upper": [1], "timeout": 3}, "unknown option 'timeout'"),
    ],
)  # fmt: skip
def test_python_option_errors_name_the_key(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        get_plugin_manager().problems.create("python", where="p.toml: [problem]", **options)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "sim"
    path.write_text(
        textwrap.dedent(
            """\
            #!/usr/bin/env python3
            import sys, time
            args = sys.argv[1:]
            mode = args[0]
            if mode == "file":
                x = [float(v) for v in open(args[1]).read().split()]
                fid, level = args[2], float(args[3])
            else:
                fid, level, x = args[1], float(args[2]), [float(v) for v in args[3:]]
            if x[0] > 0.9:
                print("boom: x1 too large", file=sys.stderr)
                sys.exit(3)
            if x[0] < 0.05:
                print("not a number")
                sys.exit(0)
            if x[0] > 0.8:
                time.sleep(5)
            print("log line")
            print(sum(v * v for v in x) * level + (0 if fid == "high" else 1))
            """
        )
    )
    path.chmod(0o755)
    return path


def test_command_with_input_file(script: Path, check_problem: Callable[..., None]) -> None:
    problems = get_plugin_manager().problems
    problem = problems.create(
        "command", command=[str(script), "file", "{input}", "{fidelity}", "{level}"], lower=[0, 0], upper=[1, 1],
        fidelities=FIDS, timeout=2.0,
    )  # fmt: skip
    inner = problems.create(
        "command", command=[str(script), "file", "{input}", "{fidelity}", "{level}"], lower=[0.1, 0.1],
        upper=[0.8, 0.8], fidelities=FIDS,
    )  # fmt: skip
    check_problem(inner, n=3)  # (outside [0.05, 0.8] the script fails or stalls by design)
    X = torch.tensor([[0.5, 0.25]], dtype=torch.float64)
    assert problem.evaluate(X, "high").item() == pytest.approx(0.3125)
    assert problem.evaluate(X, "low").item() == pytest.approx(0.3125 * 0.5 + 1)


def test_command_with_values_as_arguments_and_relative_program(script: Path) -> None:
    problem = get_plugin_manager().problems.create(
        "command", command=["./sim", "args", "{fidelity}", "{level}", "{x}"], lower=[0, 0, 0], upper=[1, 1, 1],
        cwd=str(script.parent),
    )  # fmt: skip
    X = torch.tensor([[0.5, 0.25, 0.125]], dtype=torch.float64)
    assert problem.evaluate(X, "high").item() == pytest.approx(0.25 + 0.0625 + 0.015625)


def test_command_failures(script: Path) -> None:
    problem = get_plugin_manager().problems.create(
        "command", command=[str(script), "file", "{input}", "{fidelity}", "{level}"], lower=[0], upper=[1],
        timeout=1.0,
    )  # fmt: skip
    with pytest.raises(EvaluationError, match=r"status 3.*boom: x1 too large"):
        problem.evaluate(torch.tensor([[0.95]], dtype=torch.float64), "high")
    with pytest.raises(EvaluationError, match="not a number"):
        problem.evaluate(torch.tensor([[0.01]], dtype=torch.float64), "high")
    with pytest.raises(EvaluationError, match="timed out"):
        problem.evaluate(torch.tensor([[0.85]], dtype=torch.float64), "high")
    batch = problem.evaluate(torch.tensor([[0.95], [0.5]], dtype=torch.float64), "high")
    assert math.isnan(batch[0].item()) and batch[1].item() == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"command": [], "lower": [0], "upper": [1]}, "non-empty array"),
        ({"command": ["python3", "{fidelity}"], "lower": [0], "upper": [1]}, "use '{input}'"),
        ({"command": ["./missing_sim", "{input}"], "lower": [0], "upper": [1]}, "not an executable file"),
        ({"command": ["no_such_program_xyz", "{input}"], "lower": [0], "upper": [1]}, "not on PATH"),
        ({"command": ["python3", "{input}"], "lower": [0], "upper": [1], "timeout": -1}, "timeout"),
        ({"command": ["python3", "{input}"], "lower": [0], "upper": [1], "env": {"A": 1}}, r"\[problem\].env: "),
        ({"command": ["python3", "{input}"], "lower": [0], "upper": [1], "timeout": True}, r"\[problem\].timeout: "),
        ({"command": ["python3", "{input}"], "lower": [0], "upper": [1], "python": "m:f"}, "unknown option 'python'"),
        ({"command": ["python3", "{input}"], "lower": [0]}, r"\[problem\].upper: .*Field required"),
    ],
)
def test_command_option_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        get_plugin_manager().problems.create("command", where="p.toml: [problem]", **options)


def test_example_problem_toml_builds_and_evaluates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLE)
    config = load_config(EXAMPLE / "problem.toml")
    problem = build_problem(config, get_plugin_manager(), "problem.toml")
    x = 0.3
    high = (6 * x - 2) ** 2 * math.sin(12 * x - 4)
    X = torch.tensor([[x]], dtype=torch.float64)
    assert problem.evaluate(X, "high").item() == pytest.approx(high)
    assert problem.evaluate(X, "low").item() == pytest.approx(0.5 * high + 10 * (x - 0.5) - 5)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for a reaper counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_a_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    sim = tmp_path / "forking_sim.py"
    sim.write_text(
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
        f"open({str(pidfile)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(300)\n"
    )
    problem = get_plugin_manager().problems.create(
        "command", command=[sys.executable, str(sim), "{x}"], lower=[0], upper=[1], timeout=3.0
    )
    with pytest.raises(EvaluationError, match="timed out after 3 s"):
        problem.run_point([0.5], "high")
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + 10
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild)


def test_non_utf8_output_does_not_fail_a_valid_value(tmp_path: Path) -> None:
    sim = tmp_path / "latin1_sim.py"
    sim.write_text(
        "import sys\n"
        "sys.stdout.buffer.write(b'r\\xe9sultat: \\xff\\xfe ok\\n0.125\\n')\n"
        "sys.stderr.buffer.write(b'\\x80 warning\\n')\n"
    )
    problem = get_plugin_manager().problems.create(
        "command", command=[sys.executable, str(sim), "{x}"], lower=[0], upper=[1]
    )
    assert problem.run_point([0.5], "high") == 0.125
