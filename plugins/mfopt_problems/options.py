"""The options of the first-party problem kinds that take options (``python``, ``command``,
``solar`` and the ``SOLAR<level>`` pairs): ``[problem]`` keys besides ``name`` and the core's
``costs``/``parameters`` handling, validated by mfopt's registry before a study creates its run
store (one ``error:`` line naming the file, the section and the key).

What needs the file system (importing ``python``, finding ``command[0]`` or the SOLAR executable)
is checked by the factories, which raise ValueErrors the registry reports the same way.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, ValidationInfo, field_validator, model_validator


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class FidelityOption(_Options):
    """One ``[[problem.fidelities]]`` table: a named level (any positive number, e.g. epochs) and its cost."""

    name: str = Field(min_length=1)
    level: FiniteFloat = Field(gt=0)
    cost: FiniteFloat = Field(1.0, gt=0)


_BOX = "a non-empty array of finite numbers"
_FIDELITIES = "an array of tables {name, level, cost} (default: one fidelity 'high', level 1, cost 1)"


def _upper_above_lower(upper: list[float] | None, info: ValidationInfo) -> list[float] | None:
    lower = info.data.get("lower")
    if upper is None or lower is None:
        return upper
    if len(lower) != len(upper):
        raise ValueError(f"lower has {len(lower)} values but upper has {len(upper)}; they must match")
    for i, (lo, hi) in enumerate(zip(lower, upper, strict=True)):
        if not lo < hi:
            raise ValueError(f"lower[{i}] = {lo:g} must be below upper[{i}] = {hi:g}")
    return upper


def _distinct_names(fidelities: list[FidelityOption] | None) -> list[FidelityOption] | None:
    names = [f.name for f in fidelities or []]
    if len(set(names)) != len(names):
        raise ValueError(f"fidelity names must be distinct, got {names}")
    return fidelities


class PythonOptions(_Options):
    """``[problem] python = "package.module:function"`` (or ``"path/file.py:function"``)."""

    python: str = Field(pattern=r"^[^:]+:[A-Za-z_]\w*$", description="'package.module:function' or 'file.py:function'")
    lower: list[FiniteFloat] | None = Field(None, min_length=1, description=_BOX)
    upper: list[FiniteFloat] | None = Field(None, min_length=1, description=_BOX)
    fidelities: list[FidelityOption] | None = Field(None, min_length=1, description=_FIDELITIES)
    gradient: str | None = Field(None, pattern=r"^[^:]+:[A-Za-z_]\w*$", description="'package.module:function'")
    optimum: FiniteFloat | None = None
    parameters: dict[str, dict[str, Any]] | None = None

    _upper = field_validator("upper")(_upper_above_lower)
    _names = field_validator("fidelities")(_distinct_names)

    @model_validator(mode="after")
    def _one_space(self) -> PythonOptions:
        if self.parameters is not None:
            if self.lower is not None or self.upper is not None:
                raise ValueError("parameters: give either parameters or lower/upper, not both")
            if self.gradient is not None:
                raise ValueError("gradient: not available with named parameters")
        elif self.lower is None or self.upper is None:
            raise ValueError("lower: give lower and upper (a box of floats) or parameters (named parameters)")
        return self


class CommandOptions(_Options):
    """``[problem] command = ["./sim", "{input}", "{fidelity}"]``: a program run once per point."""

    command: list[str] = Field(min_length=1, description="a non-empty array of strings passing '{input}' or '{x}'")
    lower: list[FiniteFloat] = Field(min_length=1, description=_BOX)
    upper: list[FiniteFloat] = Field(min_length=1, description=_BOX)
    fidelities: list[FidelityOption] | None = Field(None, min_length=1, description=_FIDELITIES)
    timeout: FiniteFloat = Field(600.0, gt=0, description="seconds per evaluation")
    cwd: str | None = None
    env: dict[str, str] | None = Field(None, description="a table of string values")
    optimum: FiniteFloat | None = None

    _upper = field_validator("upper")(_upper_above_lower)
    _names = field_validator("fidelities")(_distinct_names)

    @field_validator("command")
    @classmethod
    def _passes_the_point(cls, command: list[str]) -> list[str]:
        if not any("{input}" in a or "{x}" in a for a in command[1:]):
            raise ValueError("command must pass the point: use '{input}' (a file) or '{x}' (the values)")
        return command


class SolarPairOptions(_Options):
    """The ``SOLAR<level>`` pairs: where the executable is, and a time limit per run."""

    executable: str | None = Field(None, description="a SOLAR executable (default: $MFOPT_SOLAR, then PATH)")
    timeout: FiniteFloat = Field(600.0, gt=0, description="seconds per SOLAR run")


class SolarOptions(_Options):
    """``[problem] name = "solar"``: the executable, the cheap level(s), each in (0, 1), a time limit."""

    executable: str | None = Field(None, description="a SOLAR executable (default: $MFOPT_SOLAR, then PATH)")
    low_fidelity: FiniteFloat | list[FiniteFloat] = Field(0.5, description="a level in (0, 1), or distinct levels")
    timeout: FiniteFloat = Field(600.0, gt=0, description="seconds per SOLAR run")

    @field_validator("low_fidelity")
    @classmethod
    def _levels(cls, value: float | list[float]) -> float | list[float]:
        levels = value if isinstance(value, list) else [value]
        if not levels or len(set(levels)) != len(levels):
            raise ValueError(f"low_fidelity must be one level or distinct levels, got {value}")
        for level in levels:
            if not 0.0 < level < 1.0:
                raise ValueError(f"low_fidelity must lie in (0, 1), got {level}")
        return value
