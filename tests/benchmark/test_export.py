"""``mfopt benchmark export``: a compact file that analyse, train-detector and run --resume-from read.

The round trip goes through a real study: ``mfopt benchmark run`` fits both models on a tiny suite
into a SQLite file, which is exported; analyse must print the same report from either, and a run
resumed from the export must skip the instances it holds.
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import pytest

from mfopt.benchmark.export import read_export, read_header, read_rows, write_export
from mfopt.benchmark.results import ResultsStore, Row, row_dict
from mfopt.cli import main
from tests.benchmark.test_analyse_cli import _write

SUITE = "SongToalForretal0.20 2 4\nSongToalForretal0.80 2 4\nShiCurrinSin 2 4\nShiSantner 2 4\n"


def _canon(rows: list[Row]) -> list[str]:
    """Rows as comparable text (NaN written as NaN, finished_at kept)."""
    return [json.dumps({**row_dict(r), "finished_at": r.finished_at}, sort_keys=True) for r in rows]


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A real 4-instance, 3-repetition run (both models fitted) and its export."""
    folder = tmp_path_factory.mktemp("study")
    suite = folder / "suite.txt"
    suite.write_text(SUITE)
    db = folder / "r.sqlite"
    assert main(["benchmark", "run", "--suite", str(suite), "--out", str(db), "--reps", "3"]) == 0
    export = folder / "r.jsonl.gz"
    assert main(["benchmark", "export", str(db), "--out", str(export), "--code", "abc1234"]) == 0
    return db, export


def test_export_holds_every_row_bit_for_bit(study: tuple[Path, Path]) -> None:
    db, export = study
    with ResultsStore(db) as store:
        stored = list(store.rows())
    assert len(stored) == 4 * 3 * 2
    assert _canon(list(read_export(export))) == _canon(stored)
    header = read_header(export)
    assert header["code"] == "abc1234" and header["meta"] == {"seed": "0"}
    assert (header["rows"], header["instances"], header["lines"]) == (24, 4, 12)  # both models share a line
    with gzip.open(export, "rt") as fh:
        assert len(fh.read().splitlines()) == 13
    assert export.stat().st_size < db.stat().st_size / 10  # no designs


def test_analyse_of_export_equals_analyse_of_sqlite(
    study: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db, export = study
    for labels in ("paper", "code"):
        reports = []
        for path in (db, export):
            assert main(["benchmark", "analyse", str(path), "--json", "--labels", labels]) == 0
            reports.append(json.loads(capsys.readouterr().out))
        assert reports[0] == reports[1]
        assert reports[0]["labelled_instances"] == 4
    assert main(["benchmark", "analyse", str(db)]) == 0
    table = capsys.readouterr().out
    assert main(["benchmark", "analyse", str(export)]) == 0
    assert capsys.readouterr().out == table


def test_export_is_deterministic_and_re_exportable(study: tuple[Path, Path], tmp_path: Path) -> None:
    db, export = study
    again = tmp_path / "again.jsonl.gz"
    assert main(["benchmark", "export", str(db), "--out", str(again), "--code", "abc1234"]) == 0
    assert again.read_bytes() == export.read_bytes()
    twice = tmp_path / "twice.jsonl.gz"
    assert main(["benchmark", "export", str(export), "--out", str(twice), "--code", "abc1234"]) == 0
    assert twice.read_bytes() == export.read_bytes()
    plain = tmp_path / "plain.jsonl"
    assert main(["benchmark", "export", str(export), "--out", str(plain)]) == 0
    assert _canon(list(read_export(plain))) == _canon(list(read_export(export)))
    assert read_header(plain)["code"] == "unrecorded"


def test_run_resumes_from_export_and_skips_its_instances(
    study: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, export = study
    suite = tmp_path / "suite.txt"
    suite.write_text(SUITE + "SongToalForretal0.50 2 4\n")
    fresh = tmp_path / "fresh.sqlite"
    args = ["benchmark", "run", "--suite", str(suite), "--out", str(fresh), "--reps", "3"]
    assert main([*args, "--resume-from", str(export)]) == 0
    captured = capsys.readouterr()
    assert "imported 24 rows from 1 export(s)" in captured.err
    assert "5 instances in the suite, 4 already stored, 1 to run" in captured.err
    assert "1 instances run (6 rows)" in captured.out and "4 skipped as already stored; 30 rows" in captured.out
    with ResultsStore(fresh) as store:
        rows = list(store.rows())
    old = [r for r in rows if r.pair != "SongToalForretal0.50"]
    with ResultsStore(db) as store:
        assert _canon(old) == _canon(list(store.rows()))  # imported as they were, finished_at included
    assert main([*args, "--resume-from", str(export)]) == 0  # again: nothing new to import or run
    captured = capsys.readouterr()
    assert "imported 0 rows" in captured.err and "0 instances run" in captured.out


def test_rows_with_their_own_verdicts_and_nans_round_trip(tmp_path: Path) -> None:
    base = dict(pair="p", n_high=2, n_low=4, dim=1, rep=1, seed=1, rrmse=0.5, fit_seconds=0.1)
    rows = [
        Row(**base, model="cokriging", correlation=math.nan, features={"CC": math.nan, "LCC": 0.25},
            decisions={"guideline": None, "always": True}, finished_at=12.5, rules={"guideline": "1a"}),
        Row(**base, model="kriging", correlation=0.9, features={"CC": 0.1, "LCC": 0.25},
            decisions={"guideline": False, "always": True}, finished_at=13.0, rules={}),
    ]  # fmt: skip
    path = tmp_path / "x.jsonl.gz"
    counts = write_export(rows, path, {"seed": "0"}, "test")
    assert counts == {"rows": 2, "instances": 1, "lines": 2}  # features differ: one line per model
    back = list(read_export(path))
    assert _canon(back) == _canon(rows)
    assert math.isnan(back[0].correlation) and math.isnan(back[0].features["CC"])
    assert back[0].decisions["guideline"] is None and back[1].decisions["guideline"] is False


def test_train_detector_reads_an_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "r.sqlite"
    _write(db)
    export = tmp_path / "r.jsonl.gz"
    assert main(["benchmark", "export", str(db), "--out", str(export)]) == 0
    capsys.readouterr()
    models = []
    for path in (db, export):
        out = tmp_path / f"{path.suffix}.json"
        assert main(["benchmark", "train-detector", str(path), "--out", str(out), "--folds", "4"]) == 0
        models.append(json.loads(out.read_text()))
        assert "trained on 24 instances of 8 pairs" in capsys.readouterr().out
    assert models[0] == models[1]


def test_bad_inputs_are_usage_errors(
    study: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, export = study
    suite = tmp_path / "suite.txt"
    suite.write_text(SUITE)
    run = ["benchmark", "run", "--suite", str(suite), "--reps", "3"]
    assert main(["benchmark", "export", str(db), "--out", str(tmp_path / "x.csv")]) == 2
    assert "must end with .jsonl or .jsonl.gz" in capsys.readouterr().err
    assert main(["benchmark", "export", str(tmp_path / "missing.sqlite"), "--out", str(tmp_path / "x.jsonl")]) == 2
    assert main([*run, "--out", str(tmp_path / "a.sqlite"), "--resume-from", str(db)]) == 2
    assert "expected an export" in capsys.readouterr().err
    assert main([*run, "--out", str(tmp_path / "b.sqlite"), "--seed", "5", "--resume-from", str(export)]) == 2
    assert "written with seed = 0, not 5" in capsys.readouterr().err
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(b"not gzip at all")
    assert main(["benchmark", "analyse", str(broken)]) == 2
    assert "not a readable study export" in capsys.readouterr().err
    other = tmp_path / "other.jsonl"
    other.write_text('{"format": "something-else"}\n')
    assert main(["benchmark", "analyse", str(other)]) == 2
    bad_row = tmp_path / "bad_row.jsonl"
    header = {"format": "mfopt-study-rows", "version": 1, "meta": {}, "code": "x"}
    bad_row.write_text(json.dumps(header) + '\n{"pair": "p"}\n')
    assert main(["benchmark", "analyse", str(bad_row)]) == 2
    assert "bad_row.jsonl:2: not a study export row" in capsys.readouterr().err
    with pytest.raises(Exception, match="no such results file"):
        read_rows([tmp_path / "nothing.jsonl.gz"])


def test_export_of_new_rows_only_makes_parts_that_pool_to_the_whole(
    study: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, export = study
    rows = list(read_export(export))
    first = tmp_path / "part1.jsonl.gz"
    write_export([r for r in rows if r.pair.startswith("Shi")], first, {"seed": "0"}, "abc1234")
    second = tmp_path / "part2.jsonl.gz"
    assert main(["benchmark", "export", str(db), "--out", str(second), "--exclude", str(first)]) == 0
    assert "12 rows of 2 instances" in capsys.readouterr().out
    assert {r.pair for r in read_export(second)} == {"SongToalForretal0.20", "SongToalForretal0.80"}
    reports = []
    for paths in ([db], [first, second]):
        assert main(["benchmark", "analyse", *map(str, paths), "--json"]) == 0
        reports.append(json.loads(capsys.readouterr().out))
    assert (
        reports[0]["detectors"] == reports[1]["detectors"] and reports[0]["label_counts"] == reports[1]["label_counts"]
    )
    folder = tmp_path / "parts"  # a folder: every export in it is left out
    folder.mkdir()
    (folder / "part1.jsonl.gz").write_bytes(first.read_bytes())
    (folder / "notes.txt").write_text("not an export")
    third = folder / "part2.jsonl.gz"
    assert main(["benchmark", "export", str(db), "--out", str(third), "--exclude", str(folder)]) == 0
    assert third.read_bytes() == second.read_bytes()
    assert main(["benchmark", "export", str(db), "--out", str(third), "--exclude", str(folder)]) == 0  # --out excepted
    assert third.read_bytes() == second.read_bytes()
    capsys.readouterr()
    both = tmp_path / "both.jsonl.gz"  # pooled inputs holding the same rows: written once
    assert main(["benchmark", "export", str(db), str(export), "--out", str(both), "--code", "abc1234"]) == 0
    assert both.read_bytes() == export.read_bytes()
