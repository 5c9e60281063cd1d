"""Compact study results: gzipped JSON lines holding what ``analyse`` and ``train-detector`` read.

A SQLite results file (:mod:`mfopt.benchmark.results`) also keeps every nested design a run used,
about 0.17 MB per instance: too large to keep many instances in git. ``mfopt benchmark export``
writes its rows, and nothing else, to a ``.jsonl.gz`` (or plain ``.jsonl``) file that
``mfopt benchmark analyse`` / ``train-detector`` accept in place of a SQLite file, and that
``mfopt benchmark run --resume-from`` imports so the instances it holds are skipped.

Layout: the first line is a header ``{"format": "mfopt-study-rows", "version": 1, "meta": {...},
"code": "...", "rows": N, "instances": M}`` (``meta``: the results file's settings, e.g. ``seed``;
``code``: the identity of the code that computed the rows, e.g. a git commit). Then one line per
(instance, repetition)::

    {"pair": ..., "n_high": ..., "n_low": ..., "dim": ..., "rep": ..., "seed": ...,
     "models": {"kriging": [correlation, rrmse, fit_seconds, finished_at], "cokriging": [...]},
     "features": {...}, "decisions": {...}, "rules": {...}}

The models of a repetition share one line when their features, decisions and rules are equal (the
runner stores the same sample's verdicts on every model's row); otherwise each model gets its own
line. Non-finite numbers are written as ``null`` and read back as NaN, as in the SQLite file; floats
are written with Python's ``repr``, so every value reads back bit for bit. Rows are written in
:meth:`~mfopt.benchmark.results.ResultsStore.rows` order, so ``analyse`` prints the same table
from an export as from its SQLite file.
"""

from __future__ import annotations

import gzip
import io
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from mfopt.benchmark.results import ResultsStore, Row
from mfopt.errors import ConfigError

FORMAT = "mfopt-study-rows"
VERSION = 1
SUFFIXES = (".jsonl", ".jsonl.gz")


def is_export(path: Path | str) -> bool:
    """Whether ``path`` names a compact export (by its suffix) rather than a SQLite results file."""
    return str(path).endswith(SUFFIXES)


def _num(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


def _open(path: Path, mode: str, gz: bool | None = None) -> io.TextIOBase:
    if str(path).endswith(".gz") if gz is None else gz:
        # mtime=0: the same rows give the same bytes (a re-export does not change a committed file)
        raw = gzip.GzipFile(filename="", mode=mode + "b", fileobj=open(path, mode + "b"), mtime=0)  # noqa: SIM115
        return io.TextIOWrapper(raw, encoding="utf-8")  # type: ignore[return-value]
    return open(path, mode, encoding="utf-8")  # type: ignore[return-value]


def _lines(rows: Iterable[Row]) -> Iterator[dict[str, Any]]:
    """One record per (instance, repetition) with the models that share its verdicts."""
    pending: list[Row] = []

    def flush() -> Iterator[dict[str, Any]]:
        groups: list[list[Row]] = []
        for row in pending:
            for g in groups:
                first = g[0]
                if (first.dim, first.seed, first.features, first.decisions, first.rules) == (
                    row.dim, row.seed, row.features, row.decisions, row.rules
                ) and all(r.model != row.model for r in g):  # fmt: skip
                    g.append(row)
                    break
            else:
                groups.append([row])
        for g in groups:
            first = g[0]
            yield {
                "pair": first.pair, "n_high": first.n_high, "n_low": first.n_low, "dim": first.dim,
                "rep": first.rep, "seed": first.seed,
                "models": {
                    r.model: [_num(r.correlation), _num(r.rrmse), _num(r.fit_seconds), r.finished_at] for r in g
                },
                "features": {k: (_num(v) if isinstance(v, float) else v) for k, v in first.features.items()},
                "decisions": first.decisions, "rules": first.rules,
            }  # fmt: skip

    key = None
    for row in rows:
        k = (row.pair, row.n_high, row.n_low, row.rep)
        if k != key and pending:
            yield from flush()
            pending = []
        key = k
        pending.append(row)
    if pending:
        yield from flush()


def write_export(rows: Iterable[Row], path: Path | str, meta: dict[str, str], code: str) -> dict[str, int]:
    """Write ``rows`` (in the order given) to ``path``; returns ``{"rows": .., "instances": .., "lines": ..}``."""
    path = Path(path)
    if not is_export(path):
        raise ConfigError(f"{path}: an export must end with {' or '.join(SUFFIXES)}")
    rows = list(rows)
    records = list(_lines(rows))
    counts = {"rows": len(rows), "instances": len({(r.pair, r.n_high, r.n_low) for r in rows}), "lines": len(records)}
    header = {"format": FORMAT, "version": VERSION, "meta": meta, "code": code, **counts}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with _open(tmp, "w", gz=str(path).endswith(".gz")) as fh:
        fh.write(json.dumps(header, sort_keys=True) + "\n")
        for rec in records:
            fh.write(json.dumps(rec, sort_keys=True, separators=(",", ":")) + "\n")
    tmp.replace(path)  # a reader never sees half a file
    return counts


def read_header(path: Path | str) -> dict[str, Any]:
    """The header of export ``path`` (format checked)."""
    path = Path(path)
    try:
        with _open(path, "r") as fh:
            first = fh.readline()
        header = json.loads(first)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable study export ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ConfigError(f"{path}: not a study export (no '{FORMAT}' header)")
    if header.get("version") != VERSION:
        raise ConfigError(f"{path}: export version {header.get('version')} (this mfopt reads {VERSION})")
    return header


def read_export(path: Path | str) -> Iterator[Row]:
    """Every row of export ``path``, in the order written."""
    path = Path(path)
    read_header(path)
    with _open(path, "r") as fh:
        fh.readline()
        for no, text in enumerate(fh, 2):
            try:
                rec = json.loads(text)
                features = {k: _float(v) for k, v in rec["features"].items()}
                for model, (corr, rrmse, seconds, finished) in rec["models"].items():
                    yield Row(
                        rec["pair"], int(rec["n_high"]), int(rec["n_low"]), int(rec["dim"]), int(rec["rep"]),
                        int(rec["seed"]), model, _float(corr), _float(rrmse), _float(seconds), dict(features),
                        dict(rec["decisions"]), float(finished), dict(rec["rules"]),
                    )  # fmt: skip
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise ConfigError(f"{path}:{no}: not a study export row ({exc!r})") from None


def read_rows(paths: Sequence[Path | str]) -> list[Row]:
    """The rows of every results file in ``paths`` (SQLite or export), pooled in the order given."""
    rows: list[Row] = []
    for path in map(Path, paths):
        if not path.is_file():
            raise ConfigError(f"{path}: no such results file (write one with `mfopt benchmark run`)")
        if is_export(path):
            rows.extend(read_export(path))
        else:
            with ResultsStore(path) as store:
                rows.extend(store.rows())
    return rows


def import_exports(store: ResultsStore, paths: Sequence[Path | str], settings: dict[str, str]) -> int:
    """Insert the rows of exports ``paths`` into ``store`` (rows it holds are kept); returns how many were new.

    An export written with other ``settings`` (e.g. another seed) is a :class:`ConfigError`: its rows
    would not be comparable with the run's."""
    added = 0
    for path in map(Path, paths):
        if not path.is_file():
            raise ConfigError(f"--resume-from: {path}: no such file")
        if not is_export(path):
            raise ConfigError(f"--resume-from: {path}: expected an export ({' or '.join(SUFFIXES)})")
        meta = read_header(path).get("meta", {})
        for key, value in settings.items():
            if key in meta and meta[key] != value:
                raise ConfigError(f"--resume-from: {path} was written with {key} = {meta[key]}, not {value}")
        added += store.add(read_export(path), keep_time=True)
    return added
