"""``benchmarks/optimisation.py`` keeps its results where the next session finds them: gzipped JSON
lines (one member per row, a torn last member ignored), a resume key that includes a hash of the code
the strategy runs, and a rerun that skips the runs already in the file (a real one-run benchmark)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scripts import load_benchmark

optimisation = load_benchmark("optimisation")


def test_gzip_rows_append_and_a_torn_member_is_ignored(tmp_path: Path) -> None:
    out = tmp_path / "panel.jsonl.gz"
    for i in range(3):
        optimisation.append_row(out, {"pair": "P", "seed": i, "best": 0.5 * i})
    # an ordinary gzip reader sees the same lines (the file is plain multi-member gzip)
    with gzip.open(out, "rt", encoding="utf-8") as f:
        assert [json.loads(line)["seed"] for line in f] == [0, 1, 2]
    whole = out.read_bytes()
    # a kill in the middle of the fourth row's member: that row is lost, the others kept
    fourth = gzip.compress(b'{"pair": "P", "seed": 3}\n', mtime=0)
    out.write_bytes(whole + fourth[: len(fourth) // 2])
    assert [r["seed"] for r in optimisation.load_rows(out)] == [0, 1, 2]
    assert [r["best"] for r in optimisation.load_rows(out)] == [0.0, 0.5, 1.0]
    # plain text (no .gz) stays plain, and a torn last line is skipped
    plain = tmp_path / "panel.jsonl"
    optimisation.append_row(plain, {"seed": 0})
    plain.write_text(plain.read_text() + '{"seed": 1, "be')
    assert optimisation.load_rows(plain) == [{"seed": 0}]
    assert optimisation.load_rows(tmp_path / "missing.jsonl.gz") == []


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def test_code_identity_follows_the_code_a_strategy_runs(tmp_path: Path) -> None:
    root = tmp_path
    _git(root, "init", "-q")
    for f, text in {
        "mfopt/core.py": "x = 1\n",
        "mfopt/benchmark/runner.py": "y = 1\n",
        "plugins/mfopt_problems/p.py": "z = 1\n",
        "plugins/mfopt_strategies/robust.py": "r = 1\n",
        "benchmarks/peers.py": "q = 1\n",
    }.items():
        (root / f).parent.mkdir(parents=True, exist_ok=True)
        (root / f).write_text(text)
    _git(root, "add", ".")
    ids = {s: optimisation.code_identity(s, root) for s in ("hf-only", "robust", "botorch-logei", "botorch-mfkg")}
    assert len({ids["hf-only"], ids["robust"], ids["botorch-logei"]}) == 3
    assert ids["botorch-logei"] == ids["botorch-mfkg"]
    assert optimisation.code_identity("always", root) == optimisation.code_identity("gated", root) == ids["hf-only"]
    assert all(len(v) == 10 for v in ids.values())
    # the robust gate's own code reruns robust only, not the other strategies' runs nor BoTorch's
    (root / "plugins/mfopt_strategies/robust.py").write_text("r = 2\n")
    assert optimisation.code_identity("robust", root) != ids["robust"]
    assert optimisation.code_identity("hf-only", root) == ids["hf-only"]
    assert optimisation.code_identity("botorch-mfkg", root) == ids["botorch-mfkg"]
    # core code reruns every mfopt strategy
    (root / "mfopt/core.py").write_text("x = 2\n")
    assert optimisation.code_identity("hf-only", root) != ids["hf-only"]
    assert optimisation.code_identity("botorch-mfkg", root) == ids["botorch-mfkg"]
    # the study runner is not run by the benchmark; results files are not code
    (root / "mfopt/benchmark/runner.py").write_text("y = 2\n")
    (root / "results.jsonl").write_text("{}\n")
    assert optimisation.code_identity("robust", root) == optimisation.code_identity("robust", root)
    changed = optimisation.code_identity("robust", root)
    (root / "mfopt/benchmark/runner.py").write_text("y = 3\n")
    assert optimisation.code_identity("robust", root) == changed
    # a problem's code changes both
    (root / "plugins/mfopt_problems/p.py").write_text("z = 2\n")
    assert optimisation.code_identity("botorch-mfkg", root) != ids["botorch-mfkg"]
    assert optimisation.code_identity("robust", root) != changed


def test_rerun_resumes_from_the_file_and_reruns_other_code(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    # the module registered last: other test files load the script too, and the worker pickles run_job by name
    optimisation = sys.modules["optimisation"]
    out = tmp_path / "panel.jsonl.gz"
    argv = ["--pairs", "SongToalForretal0.00", "--strategies", "hf-only", "--seeds", "1", "--workers", "1",
            "--quick", "--out", str(out)]  # fmt: skip
    optimisation.main(argv)
    assert "1 runs now" in capsys.readouterr().out
    (row,) = optimisation.load_rows(out)
    assert (row["pair"], row["strategy"], row["seed"]) == ("SongToalForretal0.00", "hf-only", 0)
    assert row["code"] == optimisation.code_identity("hf-only")
    assert row["settings"] == "b10-c0.1-quick"
    assert row["best"] == pytest.approx(min(v for _, v in row["trace"]))
    optimisation.main(argv)
    assert "0 runs now" in capsys.readouterr().out
    assert len(optimisation.load_rows(out)) == 1
    # the same row recorded by other code is neither resumed nor analysed: the run is redone
    out.write_bytes(gzip.compress((json.dumps({**row, "code": "0000000000"}) + "\n").encode(), mtime=0))
    optimisation.main(argv)
    assert "1 runs now" in capsys.readouterr().out
    rows = optimisation.load_rows(out)
    assert [r["code"] for r in rows] == ["0000000000", row["code"]]
    assert rows[1]["best"] == row["best"]  # same seed, same code: the same run
    # --stop-after 0 starts nothing new; bad strategy names are refused
    optimisation.main([*argv[:5], "2", *argv[6:], "--stop-after", "0"])
    assert "0 runs now" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        optimisation.main([*argv[:2], "--strategies", "nope", "--out", str(out)])


def test_workload_estimates_the_cpu_left_from_the_runs_done() -> None:
    rows = [
        {"pair": "A", "strategy": "hf-only", "seed": 0, "cpu": 2.0},
        {"pair": "A", "strategy": "hf-only", "seed": 1, "cpu": 4.0},
        {"pair": "B", "strategy": "hf-only", "seed": 0, "cpu": 10.0},
        {"pair": "B", "strategy": "hf-only", "seed": 7, "cpu": 99.0},  # beyond --seeds: not counted
        {"pair": "C", "strategy": "hf-only", "seed": 0, "cpu": 99.0},  # not a chosen pair
    ]
    text = optimisation.workload(rows, ["A", "B"], ["hf-only", "robust"], 4)
    lines = text.splitlines()
    # A: 2 left at its median 3 s; B: 3 left at 10 s -> 36 s = 0.01 h; 3 of 8 runs done, median 4, max 10
    assert lines[1].split() == ["hf-only", "3/8", "4.0", "10.0", "0.0"]
    assert lines[2].split() == ["robust", "0/8", "?", "?", "?"]
    assert lines[3] == "CPU h left: 0.0 plus the unmeasured robust"
    big = [{"pair": "A", "strategy": "robust", "seed": 0, "cpu": 3600.0}]
    assert optimisation.workload(big, ["A", "B"], ["robust"], 2).splitlines()[-1] == "CPU h left: 3.0"
