"""A search space of named parameters and its encoding for the models.

Parameters are :class:`Float` (linear or log scale), :class:`Int` (linear or log scale) and
:class:`Categorical`. A :class:`SearchSpace` maps names to parameters (in declaration order) and
translates between a dict of named values (what an objective and a user see) and a float64 vector
in the *model box* :attr:`SearchSpace.bounds` (what surrogates, designs and acquisitions see).
Each parameter owns a contiguous block of columns, in declaration order:

========================  ===========================  ==========================================
parameter                 encoded column(s) and box    decoded from a model's proposal
========================  ===========================  ==========================================
``Float(lo, hi)``         ``v`` in ``[lo, hi]``        clipped to ``[lo, hi]``
``Float(lo, hi, log)``    ``ln v`` in ``[ln lo,        ``exp``, clipped, rounded to 12 significant
                          ln hi]``                     digits (see below)
``Int(lo, hi)``           ``v`` in ``[lo - 0.5,        rounded to the nearest integer, clipped
                          hi + 0.5]``
``Int(lo, hi, log)``      ``ln v`` in ``[ln(lo -       ``exp``, rounded, clipped
                          0.5), ln(hi + 0.5)]``
``Categorical(choices)``  one-hot: one column per      the choice of the largest column (the
                          choice, each in ``[0, 1]``   first on a tie)
========================  ===========================  ==========================================

Integers get half a unit on each side so that every integer owns an equally wide interval of the
box (a space-filling design does not under-sample the two end values). One-hot rather than an
ordinal code, because an ordinal code invents an order and distances between unordered choices.

:meth:`SearchSpace.decode` accepts any vector (rounding and clipping), so every proposal of a model
gives valid values; :meth:`SearchSpace.snap` is ``encode(decode(x))``, the canonical vector of the
point that is really evaluated (the one the models should be trained on).
``decode(encode(p)) == p`` for every parameter kind. A log-scale float is recovered through
``exp(ln v)``, exact only to about 15 digits, so decoded log-scale floats are rounded to 12
significant digits: values given with at most 12 (every value :meth:`~SearchSpace.decode` itself
returns) round-trip exactly.

A positional box (``lower``/``upper``) is the anonymous space :meth:`SearchSpace.from_bounds`:
linear floats named ``x0 .. x{d-1}``, whose encoding is the identity.

In problem.toml a space is a table of inline tables::

    [problem.parameters]
    lr = { type = "float", low = 1e-5, high = 1e-1, log = true }
    layers = { type = "int", low = 1, high = 4 }
    kind = { type = "categorical", choices = ["a", "b"] }
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import torch
from torch import Tensor

from mfopt.data import DTYPE, Candidate

#: Significant digits kept by a decoded log-scale float (see the module docstring).
LOG_DIGITS = 12

Choice = str | int | float | bool


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return float(value)


def _integer(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, int):
        try:
            as_int = int(value)  # numpy integers
        except (TypeError, ValueError):
            raise ValueError(f"{what} must be an integer, got {value!r}") from None
        if as_int != value:
            raise ValueError(f"{what} must be an integer, got {value!r}")
        return as_int
    return value


class _Scale:
    """What :class:`Float` and :class:`Int` share: a range ``[low, high]`` searched on a linear or
    a log scale (``low > 0``). Subclasses say how a value is read (:meth:`_read`), how the log
    condition reads for them (:attr:`_LOG_MIN`) and the interval the box covers (:meth:`_interval`)."""

    low: float
    high: float
    log: bool
    _KIND: ClassVar[str]
    _LOG_MIN: ClassVar[str]  # the condition on ``low`` for a log scale, as the error states it

    @staticmethod
    def _read(value: Any, what: str) -> float:
        raise NotImplementedError

    def _log_allowed(self, low: float) -> bool:
        return low > 0  # an integer ``low`` > 0 is ``low >= 1``

    def _interval(self) -> tuple[float, float]:
        return self.low, self.high

    def __post_init__(self) -> None:
        low, high = self._read(self.low, "low"), self._read(self.high, "high")
        if not low < high:
            raise ValueError(f"low = {low} must be below high = {high}")
        if self.log and not self._log_allowed(low):
            raise ValueError(f"a log-scale {self._KIND} needs {self._LOG_MIN}, got {low}")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    @property
    def width(self) -> int:
        return 1

    def box(self) -> list[tuple[float, float]]:
        lo, hi = self._interval()
        return [(math.log(lo), math.log(hi))] if self.log else [(lo, hi)]

    def encode(self, value: Any) -> list[float]:
        v = self._read(value, "the value")
        if not self.low <= v <= self.high:
            raise ValueError(f"{v} is outside [{self.low}, {self.high}]")
        return [math.log(v) if self.log else float(v)]

    def _unscaled(self, column: Sequence[float]) -> float:
        """A model's column back on the value's own scale (not yet rounded or clipped)."""
        return math.exp(column[0]) if self.log else float(column[0])

    def to_config(self) -> dict[str, Any]:
        return {"type": self._KIND, "low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True)
class Float(_Scale):
    """A real parameter in ``[low, high]``; ``log=True`` searches ``ln v`` (needs ``low > 0``)."""

    low: float
    high: float
    log: bool = False
    _KIND: ClassVar[str] = "float"
    _LOG_MIN: ClassVar[str] = "low > 0"

    _read = staticmethod(_number)

    def decode(self, column: Sequence[float]) -> float:
        v = self._unscaled(column)
        if self.log:
            v = float(f"{v:.{LOG_DIGITS}g}")
        return min(max(v, self.low), self.high)


@dataclass(frozen=True)
class Int(_Scale):
    """An integer parameter in ``[low, high]``; ``log=True`` searches ``ln v`` (needs ``low >= 1``).
    The box gives every integer an equally wide interval: ``[low - 0.5, high + 0.5]``."""

    low: int
    high: int
    log: bool = False
    _KIND: ClassVar[str] = "int"
    _LOG_MIN: ClassVar[str] = "low >= 1"

    _read = staticmethod(_integer)

    def _interval(self) -> tuple[float, float]:
        return self.low - 0.5, self.high + 0.5

    def decode(self, column: Sequence[float]) -> int:
        return min(max(math.floor(self._unscaled(column) + 0.5), self.low), self.high)


@dataclass(frozen=True)
class Categorical:
    """One of ``choices`` (strings, numbers or booleans; no duplicates), encoded one-hot."""

    choices: tuple[Choice, ...]

    def __post_init__(self) -> None:
        choices = self.choices
        if isinstance(choices, str) or not isinstance(choices, Sequence) or not choices:
            shown = list(choices) if isinstance(choices, tuple) else choices
            raise ValueError(f"choices must be a non-empty array, got {shown!r}")
        for c in choices:
            if not isinstance(c, str | int | float | bool):
                raise ValueError(f"a choice must be a string, a number or a boolean, got {c!r}")
        keys = [(type(c), c) for c in choices]
        if len(set(keys)) != len(keys):
            raise ValueError(f"choices must be distinct, got {list(choices)}")
        object.__setattr__(self, "choices", tuple(choices))

    @property
    def width(self) -> int:
        return len(self.choices)

    def box(self) -> list[tuple[float, float]]:
        return [(0.0, 1.0)] * self.width

    def index(self, value: Any) -> int:
        """Position of ``value`` among the choices (``True`` is not ``1``, ``"1"`` is not ``1``)."""
        for i, c in enumerate(self.choices):
            same_kind = isinstance(c, bool) == isinstance(value, bool) and isinstance(c, str) == isinstance(value, str)
            if same_kind and c == value:
                return i
        raise ValueError(f"{value!r} is not one of {list(self.choices)}")

    def encode(self, value: Any) -> list[float]:
        hot = self.index(value)
        return [1.0 if i == hot else 0.0 for i in range(self.width)]

    def decode(self, column: Sequence[float]) -> Choice:
        values = [float(v) for v in column]
        return self.choices[values.index(max(values))]

    def to_config(self) -> dict[str, Any]:
        return {"type": "categorical", "choices": list(self.choices)}


Parameter = Float | Int | Categorical

_KEYS: dict[str, tuple[type[Parameter], set[str]]] = {
    "float": (Float, {"low", "high", "log"}),
    "int": (Int, {"low", "high", "log"}),
    "categorical": (Categorical, {"choices"}),
}


def parameter_from_config(table: Mapping[str, Any]) -> Parameter:
    """One parameter from its problem.toml table, e.g. ``{type = "int", low = 1, high = 4}``."""
    if not isinstance(table, Mapping):
        raise ValueError(f"expected a table such as {{ type = 'float', low = 0, high = 1 }}, got {table!r}")
    kind = table.get("type")
    if kind not in _KEYS:
        raise ValueError(f"type must be one of {sorted(_KEYS)}, got {kind!r}")
    cls, accepted = _KEYS[kind]
    options = {k: v for k, v in table.items() if k != "type"}
    unknown = set(options) - accepted
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)} for a {kind} parameter (accepted: {sorted(accepted)})")
    missing = accepted - {"log"} - set(options)
    if missing:
        raise ValueError(f"a {kind} parameter needs {sorted(missing)}")
    if "log" in options and not isinstance(options["log"], bool):
        raise ValueError(f"log must be true or false, got {options['log']!r}")
    if kind == "categorical":
        choices = options["choices"]
        if isinstance(choices, str) or not isinstance(choices, Sequence):
            raise ValueError(f"choices must be an array, got {choices!r}")
        return Categorical(tuple(choices))
    return cls(**options)  # type: ignore[arg-type]


class SearchSpace:
    """Named parameters (declaration order kept) and their encoding; see the module docstring.

    :param parameters: name -> :class:`Float` / :class:`Int` / :class:`Categorical`.
    """

    def __init__(self, parameters: Mapping[str, Parameter]) -> None:
        if not parameters:
            raise ValueError("a search space needs at least one parameter")
        for name, p in parameters.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"parameter names must be non-empty strings, got {name!r}")
            if not isinstance(p, Float | Int | Categorical):
                raise ValueError(f"parameter {name!r}: expected Float, Int or Categorical, got {p!r}")
        self.parameters: dict[str, Parameter] = dict(parameters)
        self._slices: dict[str, slice] = {}
        start = 0
        for name, p in self.parameters.items():
            self._slices[name] = slice(start, start + p.width)
            start += p.width
        box = [pair for p in self.parameters.values() for pair in p.box()]
        self.bounds: Tensor = torch.tensor(box, dtype=DTYPE).T.contiguous()
        """The model box, ``2 x dim`` float64 (row 0 lower, row 1 upper)."""

    @classmethod
    def from_bounds(cls, bounds: Tensor | Sequence[Sequence[float]]) -> SearchSpace:
        """The anonymous space of a positional box (``2 x d``): floats ``x0 .. x{d-1}``."""
        b = torch.as_tensor(bounds, dtype=DTYPE)
        if b.ndim != 2 or b.shape[0] != 2:
            raise ValueError(f"bounds must be 2 x d, got shape {tuple(b.shape)}")
        return cls({f"x{i}": Float(float(lo), float(hi)) for i, (lo, hi) in enumerate(b.T.tolist())})

    @classmethod
    def from_config(cls, tables: Mapping[str, Any]) -> SearchSpace:
        """A space from problem.toml's ``[parameters]`` tables; errors name the parameter."""
        if not isinstance(tables, Mapping) or not tables:
            raise ValueError(f"parameters must be a non-empty table of parameter tables, got {tables!r}")
        parameters = {}
        for name, table in tables.items():
            try:
                parameters[str(name)] = parameter_from_config(table)
            except ValueError as exc:
                raise ValueError(f"parameters.{name}: {exc}") from None
        return cls(parameters)

    def to_config(self) -> dict[str, dict[str, Any]]:
        """JSON/TOML-ready tables that :meth:`from_config` turns back into this space."""
        return {name: p.to_config() for name, p in self.parameters.items()}

    @property
    def names(self) -> list[str]:
        return list(self.parameters)

    @property
    def dim(self) -> int:
        """Number of encoded columns (a categorical parameter takes one per choice)."""
        return int(self.bounds.shape[1])

    def columns(self, name: str) -> slice:
        """The encoded columns of parameter ``name``."""
        return self._slices[name]

    def encode(self, params: Mapping[str, Any]) -> Tensor:
        """The ``dim`` vector of named ``params`` (every parameter, no other key)."""
        missing = [n for n in self.parameters if n not in params]
        extra = [n for n in params if n not in self.parameters]
        if missing or extra:
            raise ValueError(f"parameters do not match the space: missing {missing}, unknown {extra}")
        row: list[float] = []
        for name, p in self.parameters.items():
            try:
                row.extend(p.encode(params[name]))
            except ValueError as exc:
                raise ValueError(f"parameter {name!r}: {exc}") from None
        return torch.tensor(row, dtype=DTYPE)

    def decode(self, x: Tensor | Sequence[float]) -> dict[str, Any]:
        """Named values of an encoded vector (``dim``); any finite vector gives valid values."""
        row = torch.as_tensor(x, dtype=DTYPE).reshape(-1)
        if row.numel() != self.dim:
            raise ValueError(f"expected {self.dim} encoded values, got {row.numel()}")
        if not bool(torch.isfinite(row).all()):
            raise ValueError(f"cannot decode a non-finite vector {row.tolist()}")
        values = row.tolist()
        return {name: p.decode(values[self._slices[name]]) for name, p in self.parameters.items()}

    def snap(self, x: Tensor | Sequence[float]) -> Tensor:
        """``encode(decode(x))``: the canonical vector of the point ``x`` stands for."""
        return self.encode(self.decode(x))

    def complete(self, candidate: Candidate) -> Candidate:
        """``candidate`` with its canonical ``x`` (:meth:`snap`) and its named ``params``."""
        params = self.decode(candidate.x)
        return replace(candidate, x=tuple(self.encode(params).tolist()), params=params)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SearchSpace) and self.parameters == other.parameters

    def __hash__(self) -> int:
        return hash(tuple(self.parameters.items()))

    def __repr__(self) -> str:
        return f"SearchSpace({self.parameters!r})"


__all__ = ["Categorical", "Float", "Int", "Parameter", "SearchSpace", "parameter_from_config"]
