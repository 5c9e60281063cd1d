"""Results out: a run's evaluations as flat rows, a pandas DataFrame, CSV or JSON.

One row per evaluation (pending ones included), in the order they were proposed, with columns:

``id``, ``iteration``, ``fidelity``, ``status`` (``ok`` / ``failed`` / ``pending``), ``value``
(empty unless ``ok``), ``cost``, ``error``, one ``params_<name>`` column per named parameter
(:mod:`mfopt.space`; ``params_x0 ..`` for a positional box), ``proposed_at`` and ``finished_at``
(UTC; ISO 8601 text in CSV/JSON, timestamps in the DataFrame), ``duration`` (seconds the
evaluation took) and ``attempts`` (times it was handed to an evaluator).

A row stored without its named values (a store written before they were recorded) gets them by
decoding its encoded point with the run's search space. CSV and JSON need only the standard
library; :func:`to_dataframe` needs pandas (``pip install mfopt[pandas]``).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from mfopt.store import RunStore

if TYPE_CHECKING:
    import pandas as pd

    from mfopt.space import SearchSpace

Source = str | Path | RunStore
BASE_COLUMNS = ("id", "iteration", "fidelity", "status", "value", "cost", "error")
TIME_COLUMNS = ("proposed_at", "finished_at", "duration", "attempts")


@contextmanager
def _opened(source: Source) -> Iterator[RunStore]:
    if isinstance(source, RunStore):
        yield source
        return
    store = RunStore.open(source, lock=False)  # a reader: works while the run goes on
    try:
        yield store
    finally:
        store.close()


def _space(meta: Mapping[str, Any]) -> SearchSpace:
    """The run's search space, from its stored config (named) or its stored box (positional)."""
    from mfopt.space import SearchSpace

    parameters = (meta.get("config", {}).get("problem") or {}).get("parameters")
    return SearchSpace.from_config(parameters) if parameters else SearchSpace.from_bounds(meta["bounds"])


def _timestamp(seconds: float | None) -> str | None:
    return None if seconds is None else dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()


def rows(source: Source) -> list[dict[str, Any]]:
    """One flat dict per evaluation, columns as in the module docstring (times as ISO 8601 text)."""
    with _opened(source) as store:
        records = store.records()
        meta = store.meta() if any(r["params"] is None for r in records) else {}
    space = _space(meta) if meta else None
    out = []
    for r in records:
        params = r["params"] if r["params"] is not None else space.decode(r["x"])  # type: ignore[union-attr]
        row = {key: r[key] for key in BASE_COLUMNS}
        row.update({f"params_{name}": value for name, value in params.items()})
        row.update(
            proposed_at=_timestamp(r["proposed_at"]),
            finished_at=_timestamp(r["finished_at"]),
            duration=r["duration"],
            attempts=r["attempts"],
        )
        out.append(row)
    return out


def columns(table: Sequence[Mapping[str, Any]]) -> list[str]:
    """Column names in a fixed order: the base columns, the parameters, the timings."""
    params = list(dict.fromkeys(k for row in table for k in row if k.startswith("params_")))
    return [*BASE_COLUMNS, *params, *TIME_COLUMNS]


def write_csv(table: Sequence[Mapping[str, Any]], out: IO[str]) -> None:
    """``table`` (from :func:`rows`) as CSV with a header line; a missing value is an empty field."""
    writer = csv.DictWriter(out, fieldnames=columns(table), lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)


def write_json(table: Sequence[Mapping[str, Any]], out: IO[str]) -> None:
    """``table`` (from :func:`rows`) as a JSON array of objects (missing values are null)."""
    names = columns(table)
    json.dump([{k: row.get(k) for k in names} for row in table], out, indent=2)
    out.write("\n")


def to_dataframe(source: Source) -> pd.DataFrame:
    """The evaluations of a run (a run directory or an open store) as a pandas DataFrame, one row
    per evaluation; ``proposed_at``/``finished_at`` are UTC timestamps."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("to_dataframe needs pandas: pip install 'mfopt[pandas]'") from None
    table = rows(source)
    frame = pd.DataFrame(table, columns=columns(table))
    for key in ("proposed_at", "finished_at"):
        frame[key] = pd.to_datetime(frame[key], utc=True, format="ISO8601")
    return frame


__all__ = ["columns", "rows", "to_dataframe", "write_csv", "write_json"]
