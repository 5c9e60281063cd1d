"""The run store keeps user files and runs safe: ``--overwrite`` deletes only the store's files,
one run has one writer (a lock two real processes contend for), and a corrupted, truncated or
half-made store or a full disk is one line naming the store and what to do."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mfopt.cli import main
from mfopt.errors import StoreCorruptError, StoreError, StoreLockedError
from mfopt.store import OWNED_FILES, STORE_FILE, RunLock, RunStore, remove_run

PROBLEM = """
[problem]
name = "SongToalForretal0.50"
costs = { low = 0.1, high = 1.0 }
[budget]
max_evaluations = 6
[design]
samples = { high = 3 }
[surrogate]
name = "kriging"
"""


def _one_line(code: int, err: str, expected_code: int = 2) -> str:
    lines = err.strip().splitlines()
    assert code == expected_code, err
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


def test_plots_written_by_report_are_owned_by_the_store() -> None:
    from mfopt.plots import FILES

    assert set(FILES) <= set(OWNED_FILES)


def test_overwrite_next_to_user_files_deletes_nothing(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = in_tmp / "problem.toml"
    config.write_text(PROBLEM)
    (in_tmp / "notes.txt").write_text("mine")
    (in_tmp / "src").mkdir()
    before = sorted(p.name for p in in_tmp.iterdir())
    line = _one_line(
        main(["optimize", str(config), "--run-dir", ".", "--overwrite", "--quiet"]), capsys.readouterr().err
    )
    assert "not the run store's" in line and "notes.txt" in line and "problem.toml" in line
    assert sorted(p.name for p in in_tmp.iterdir()) == before
    assert config.read_text() == PROBLEM


def test_overwrite_deletes_the_store_files_only_and_keeps_the_directory(in_tmp: Path) -> None:
    run = in_tmp / "run"
    RunStore.create(run, {"problem": "p"}).close()
    (run / "gate.png").write_bytes(b"png")
    removed = remove_run(run)
    assert {p.name for p in removed} >= {STORE_FILE, "gate.png"}
    assert run.is_dir() and not (run / STORE_FILE).exists()
    assert remove_run(in_tmp / "never-made") == []


def test_overwrite_of_a_finished_run_starts_afresh(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = in_tmp / "problem.toml"
    config.write_text(PROBLEM)
    run = in_tmp / "r"
    assert main(["optimize", str(config), "--run-dir", str(run), "--quiet"]) == 0
    assert main(["optimize", str(config), "--run-dir", str(run), "--quiet", "--overwrite"]) == 0
    capsys.readouterr()
    store = RunStore.open(run)
    assert store.count() == 6 and store.meta()["status"] == "finished"  # a new run, not 12 evaluations
    store.close()


def test_tilde_in_run_dir_is_expanded(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(in_tmp / "home"))
    config = in_tmp / "problem.toml"
    config.write_text(PROBLEM + '\n[run]\ndir = "~/runs/tilde"\n')
    assert main(["optimize", str(config), "--quiet"]) == 0, capsys.readouterr().err
    assert (in_tmp / "home" / "runs" / "tilde" / STORE_FILE).exists()
    assert not (in_tmp / "~").exists()


# one run, one writer --------------------------------------------------------------------------
_HOLDER = """
import sys, time
from mfopt.store import RunStore
store = RunStore.open(sys.argv[1])
print("locked", flush=True)
time.sleep(60)
"""


def test_a_second_writer_is_refused_naming_the_holder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "problem.toml"
    config.write_text(PROBLEM)
    run = tmp_path / "run"
    store = RunStore.create(run, {"problem": "p", "status": "finished"})
    store.close()
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(run)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(StoreLockedError, match=f"in use by process {holder.pid} on "):
            RunStore.open(run)
        out = subprocess.run(
            [sys.executable, "-m", "mfopt", "optimize", str(config), "--run-dir", str(run), "--resume"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        line = _one_line(out.returncode, out.stderr)
        assert f"process {holder.pid}" in line
        reader = RunStore.open(run, lock=False)  # `mfopt report` reads while a run is going on
        assert reader.meta()["status"] == "finished"  # the loser wrote nothing
        reader.close()
    finally:
        holder.kill()
        holder.wait()
    RunStore.open(run).close()  # the kernel dropped the killed holder's lock


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    with RunLock(tmp_path), RunLock(tmp_path):
        store = RunStore.create(tmp_path / "x", {})
        again = RunStore.open(tmp_path / "x")
        again.close()
        store.close()
    assert (tmp_path / "run.lock").exists()


# corrupted and half-made stores, a full disk ---------------------------------------------------
def _store(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    store = RunStore.create(run, {"problem": "p"})
    store.set_meta({"padding": "x" * 20000})
    store.close()
    return run


def test_garbage_in_the_store_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _store(tmp_path)
    (run / STORE_FILE).write_bytes(b"this is not a database, it is text " * 200)
    with pytest.raises(StoreCorruptError, match=r"run\.sqlite is corrupted"):
        RunStore.open(run)
    line = _one_line(main(["report", str(run)]), capsys.readouterr().err)
    assert str(run / STORE_FILE) in line and "--overwrite" in line


def test_a_truncated_store_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _store(tmp_path)
    path = run / STORE_FILE
    data = path.read_bytes()
    assert len(data) > 8192
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreCorruptError):
        RunStore.open(run)
    config = tmp_path / "problem.toml"
    config.write_text(PROBLEM)
    line = _one_line(main(["optimize", str(config), "--run-dir", str(run), "--resume"]), capsys.readouterr().err)
    assert str(path) in line


@pytest.mark.parametrize("damage", ["empty-file", "no-tables", "no-meta", "no-schema-version"])
def test_a_half_made_store_is_one_line(damage: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    run.mkdir()
    path = run / STORE_FILE
    if damage == "empty-file":
        path.write_bytes(b"")
    else:
        with sqlite3.connect(path) as db:
            if damage != "no-tables":
                db.execute("CREATE TABLE evaluations (id INTEGER PRIMARY KEY)")
                db.execute("CREATE TABLE decisions (id INTEGER PRIMARY KEY)")
                db.execute("CREATE TABLE iterations (iteration INTEGER PRIMARY KEY)")
            if damage == "no-schema-version":
                db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                db.execute("INSERT INTO meta VALUES ('status', '\"created\"')")
        db.close()
    with pytest.raises(StoreCorruptError, match="not a complete run store"):
        RunStore.open(run)
    line = _one_line(main(["report", str(run)]), capsys.readouterr().err)
    assert str(path) in line and "interrupted" in line


def test_a_killed_creation_leaves_no_store(tmp_path: Path) -> None:
    code = (
        "import os, sqlite3, sys\n"
        "from mfopt import store\n"
        "real = sqlite3.connect\n"
        "def dying(path, *a, **k):\n"
        "    db = real(path, *a, **k)\n"
        "    db.executescript(store._SCHEMA)\n"
        "    os._exit(9)\n"
        "sqlite3.connect = dying\n"
        "store.RunStore.create(sys.argv[1], {})\n"
    )
    run = tmp_path / "run"
    out = subprocess.run([sys.executable, "-c", code, str(run)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 9, out.stderr
    assert not RunStore.exists(run)  # only a temporary file that a later create replaces
    RunStore.create(run, {"problem": "p"}).close()
    assert RunStore.open(run).meta()["problem"] == "p"


def test_a_full_disk_is_one_line_naming_the_store(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path / "run", {})
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages + 1}")  # SQLite's own SQLITE_FULL
    with pytest.raises(StoreError, match=r"run\.sqlite: the disk is full .*free some space.*--resume") as info:
        for _ in range(50):
            store.set_meta({f"k{time.time_ns()}": "x" * 5000})
    assert not isinstance(info.value, StoreCorruptError)
    assert "\n" not in str(info.value)
    store.close()
    assert os.path.exists(tmp_path / "run" / STORE_FILE)


def test_mfopt_report_folds_the_wal_of_a_killed_run_into_the_store(tmp_path: Path) -> None:
    code = (
        "import os, sys\n"
        "from mfopt.store import RunStore\n"
        "store = RunStore.create(sys.argv[1], {'problem': 'p', 'target': 'high',"
        " 'fidelities': [{'name': 'high', 'level': 1.0, 'cost': 1.0}]})\n"
        "store.set_meta({'late': 'x' * 10000})\n"
        "os._exit(0)\n"  # killed: nothing checkpointed
    )
    run = tmp_path / "run"
    subprocess.run([sys.executable, "-c", code, str(run)], check=True, timeout=60)
    assert (run / "run.sqlite-wal").stat().st_size > 0  # the last records are in the WAL only
    assert main(["report", str(run), "--json"]) == 0
    assert not (run / "run.sqlite-wal").exists()
    with sqlite3.connect(run / STORE_FILE) as db:  # the main file alone now holds everything
        assert db.execute("SELECT COUNT(*) FROM meta WHERE key = 'late'").fetchone() == (1,)
    db.close()


def test_overwrite_removes_a_store_whose_creation_was_killed(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    partial = run / ".run.sqlite.creating-12345"
    partial.write_bytes(b"half a database")
    assert remove_run(run) == [partial]
    assert sorted(p.name for p in run.iterdir()) == []


SLOW_PROBLEM = """
[problem]
python = "iso_slow_objective:f"
lower = [0.0]
upper = [1.0]
[budget]
max_evaluations = 6
[design]
samples = { high = 3 }
"""


def test_two_mfopt_processes_on_one_run_directory(tmp_path: Path) -> None:
    (tmp_path / "iso_slow_objective.py").write_text(
        "import time\n\ndef f(x, fidelity):\n    time.sleep(2.0)\n    return float((x[0] - 0.3) ** 2)\n"
    )
    config = tmp_path / "problem.toml"
    config.write_text(SLOW_PROBLEM)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "mfopt", "optimize", str(config), "--run-dir", "run", "--quiet"]
    first = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (tmp_path / "run" / STORE_FILE).exists():
            time.sleep(0.05)
        assert first.poll() is None, "the first run ended before the second could contend"
        second = subprocess.run([*command, "--resume"], cwd=tmp_path, env=env, capture_output=True, text=True)
        line = _one_line(second.returncode, second.stderr)
        assert f"in use by process {first.pid} on " in line
        _, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, err.decode()
    store = RunStore.open(tmp_path / "run", lock=False)
    assert store.meta()["status"] == "finished" and store.count() == 6  # the loser changed nothing
    store.close()
