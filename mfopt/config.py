"""problem.toml -> a typed, validated :class:`StudyConfig`.

Every mistake becomes one :class:`~mfopt.errors.ConfigError` line naming the file, the key, what
was expected and what was found. Plugin sections (``[problem]``, ``[surrogate]``,
``[multi_surrogate]``, ``[detector]``, ``[acquisition]``, ``[executor]``) take ``name`` plus the
plugin's own options, which the plugin's option model (or its factory's signature) checks when the
study is built, before its run store exists. A section without ``name`` selects the name a plugin
declared its family's default (``registry.register(..., default=True)``): this module names no
plugin.

Minimal file::

    [problem]
    name = "SongToalForretal0.50"

    [budget]
    total = 12          # cost units; one high-fidelity evaluation costs 1 unless stated
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from mfopt.errors import ConfigError

if TYPE_CHECKING:
    from mfopt.plugin.manager import PluginManager

#: plugin sections whose ``name`` defaults to the family's declared default -> the plugin family
DEFAULTED_SECTIONS = {
    "surrogate": "surrogates",
    "detector": "detectors",
    "acquisition": "acquisitions",
    "executor": "executors",
    "strategy": "strategies",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)  # TOML gives exact types: no "yes" -> True


class _PluginSection(BaseModel):
    """``name`` plus free-form options forwarded to the plugin's factory."""

    model_config = ConfigDict(extra="allow", frozen=True)

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class ProblemSection(_PluginSection):
    """The problem: a registered ``name``, or a key a problem plugin claims (``python``, ``command``).

    ``parameters``: named parameters (:mod:`mfopt.space`), given as ``[problem.parameters]`` or as a
    top-level ``[parameters]`` table, validated here and passed to the problem's factory.
    """

    name: str | None = None
    costs: dict[str, float] = Field(default_factory=dict, strict=True)
    parameters: dict[str, dict[str, Any]] | None = None
    #: the objective is noisy: a surrogate whose option model declares ``noise`` gets ``noise = "learn"``
    #: unless its section sets ``noise`` (mfopt.components)
    noisy: bool = Field(False, strict=True)

    @property
    def options(self) -> dict[str, Any]:
        extra = dict(self.model_extra or {})
        return extra if self.parameters is None else {**extra, "parameters": self.parameters}

    @field_validator("parameters")
    @classmethod
    def _valid_space(cls, value: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]] | None:
        if value is not None:
            from mfopt.space import SearchSpace  # torch: only when a file declares parameters

            try:
                SearchSpace.from_config(value)
            except ValueError as exc:
                raise ValueError(str(exc).removeprefix("parameters.")) from None
        return value

    @field_validator("costs")
    @classmethod
    def _positive_costs(cls, value: dict[str, float]) -> dict[str, float]:
        for key, cost in value.items():
            if not (cost > 0 and math.isfinite(cost)):
                raise ValueError(f"cost of fidelity {key!r} must be a positive number, got {cost}")
        return value


class BudgetSection(_Strict):
    """When to stop. ``total`` is in cost units; at least ``total`` or ``max_evaluations`` is required.
    ``patience = K`` also stops after K iterations without a better high-fidelity value."""

    total: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    max_evaluations: int | None = Field(default=None, gt=0)
    target: float | None = Field(default=None, allow_inf_nan=False)
    wall_time: float | None = Field(default=None, gt=0, allow_inf_nan=False, description="seconds")
    patience: int | None = Field(default=None, gt=0, description="iterations without a better HF value")

    @model_validator(mode="after")
    def _bounded(self) -> BudgetSection:
        if self.total is None and self.max_evaluations is None:
            raise ValueError("set 'total' (cost units) or 'max_evaluations' so that the run ends")
        return self


class DesignSection(_Strict):
    """Initial design: points per fidelity name (nested: each level's points a subset of the cheaper one's)."""

    samples: dict[str, int] = Field(default_factory=dict)
    seed: int | None = None

    @field_validator("samples")
    @classmethod
    def _positive(cls, value: dict[str, int]) -> dict[str, int]:
        for key, n in value.items():
            if n < 1:
                raise ValueError(f"samples of fidelity {key!r} must be at least 1, got {n}")
        return value


class SurrogateSection(_PluginSection):
    name: str


class MultiSurrogateSection(_PluginSection):
    name: str


class DetectorSection(_PluginSection):
    name: str


class AcquisitionSection(_PluginSection):
    name: str
    q: int = Field(default=1, ge=1, le=64, strict=True)


class ExecutorSection(_PluginSection):
    """``asynchronous``: propose a new point as soon as a worker is free, conditioned on the
    pending ones (default); false waits for every evaluation of a proposal before the next."""

    name: str
    asynchronous: bool = True


class StrategySection(_PluginSection):
    """How candidates are chosen (the first-party default composes [surrogate],
    [multi_surrogate], [detector] and [acquisition])."""

    name: str


class RunSection(_Strict):
    """``impute_failures``: fit models with each failed point at the worst value seen at its
    fidelity, so that the acquisition steers away from regions that fail (hidden constraints)."""

    dir: str | None = None  # ``~`` is expanded
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    impute_failures: bool = True


class StudyConfig(_Strict):
    """The whole problem.toml. ``multi_surrogate`` absent = high fidelity only. ``problem`` may be
    left out only when a :class:`~mfopt.problem.Problem` object is handed to the study."""

    problem: ProblemSection | None = None
    budget: BudgetSection
    design: DesignSection = Field(default_factory=DesignSection)
    surrogate: SurrogateSection
    multi_surrogate: MultiSurrogateSection | None = None
    detector: DetectorSection
    acquisition: AcquisitionSection
    executor: ExecutorSection
    strategy: StrategySection
    run: RunSection = Field(default_factory=RunSection)
    observers: dict[str, str] | None = None  # observer plugins' settings, e.g. jsonl = "trail.jsonl"

    @model_validator(mode="before")
    @classmethod
    def _default_plugins(cls, data: Any, info: ValidationInfo) -> Any:
        """A plugin section without ``name`` (or left out) gets its family's declared default
        (``info.context["defaults"]``: section -> name, from :func:`plugin_defaults`)."""
        defaults = (info.context or {}).get("defaults", {})
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        for section in DEFAULTED_SECTIONS:
            table = data.get(section, {})
            if isinstance(table, Mapping) and "name" not in table and defaults.get(section) is not None:
                data[section] = {"name": defaults[section], **table}
        return data

    @model_validator(mode="before")
    @classmethod
    def _parameters_into_problem(cls, data: Any) -> Any:
        """A top-level ``[parameters]`` table is the problem's ``parameters``."""
        if not isinstance(data, Mapping) or "parameters" not in data:
            return data
        data = dict(data)
        parameters = data.pop("parameters")
        problem = data.get("problem")
        if not isinstance(problem, Mapping):
            raise ValueError("[parameters] needs a [problem] whose objective takes them (e.g. python = ...)")
        if "parameters" in problem:
            raise ValueError("give the parameters once: [parameters] or [problem.parameters], not both")
        data["problem"] = {**problem, "parameters": parameters}
        return data

    @model_validator(mode="after")
    def _problem_named(self) -> StudyConfig:
        if self.problem is not None and self.problem.name is None and not self.problem.options:
            raise ValueError("[problem] needs 'name' (a registered problem) or a problem kind such as 'python'")
        return self

    def dump(self) -> dict[str, Any]:
        """A JSON-serialisable dict that :func:`parse_config` turns back into the same config."""
        return self.model_dump(mode="json", exclude_none=True)


def _key_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if not parts:
        return "(top level)"
    if len(parts) == 1:
        return f"[{parts[0]}]" if parts[0] in StudyConfig.model_fields else parts[0]
    return f"[{parts[0]}]." + ".".join(parts[1:])


def _describe(error: Mapping[str, Any]) -> str:
    loc = tuple(error.get("loc", ()))
    kind = error.get("type", "")
    where = _key_path(loc)
    if kind == "extra_forbidden":
        section: Any = StudyConfig
        for part in loc[:-1]:
            field = section.model_fields.get(str(part)) if hasattr(section, "model_fields") else None
            annotation = field.annotation if field else None
            section = next(
                (a for a in getattr(annotation, "__args__", (annotation,)) if hasattr(a, "model_fields")), None
            )
        allowed = ", ".join(section.model_fields) if section is not None else ""
        return f"{where}: unknown key (expected one of: {allowed})"
    if kind == "missing":
        return f"{where}: required key is missing"
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    found = error.get("input")
    if kind.startswith(("greater", "less", "int_", "float_", "bool_", "string_", "literal", "dict_", "finite")):
        return f"{where}: {message} (found {found!r})"
    return f"{where}: {message}"


def _check_sections(data: Mapping[str, Any], source: str) -> None:
    """Sections written in a file that would be silently ignored are errors. (Checked on the file,
    not in :func:`parse_config`: a stored config always holds the default ``[detector]``.)"""
    if "detector" in data and "multi_surrogate" not in data:
        raise ConfigError(
            f"{source}: [detector]: a gate needs [multi_surrogate]; without it the study is high-fidelity only "
            "and the detector is never used: add [multi_surrogate] or remove [detector]"
        )


def plugin_defaults(pm: PluginManager | None = None) -> dict[str, str | None]:
    """Section -> the name its plugin family declares the default (None when no plugin does);
    ``pm`` defaults to the process-wide plugin manager."""
    from mfopt.plugin.manager import get_plugin_manager

    registries = (pm or get_plugin_manager()).registries
    return {section: registries[family].default for section, family in DEFAULTED_SECTIONS.items()}


def _needs_defaults(data: Mapping[str, Any]) -> bool:
    return any(not (isinstance(data.get(s), Mapping) and "name" in data[s]) for s in DEFAULTED_SECTIONS)


def parse_config(
    data: Mapping[str, Any], source: str = "<config>", defaults: Mapping[str, str | None] | None = None
) -> StudyConfig:
    """Validate a config mapping (as read from TOML); errors name ``source`` and the key.

    :param defaults: section -> default plugin name (:func:`plugin_defaults`); asked of the
        process-wide plugin manager when a plugin section has no ``name`` and this is None.
    """
    if defaults is None and _needs_defaults(data):
        defaults = plugin_defaults()
    try:
        return StudyConfig.model_validate(dict(data), context={"defaults": defaults or {}})
    except ValidationError as exc:
        message = _describe(exc.errors()[0])
        for section, family in DEFAULTED_SECTIONS.items():
            if message.startswith((f"[{section}].name: required", f"[{section}]: required")):
                message = (
                    f"[{section}].name: required key is missing (no installed plugin declares a default {family[:-1]})"
                )
        raise ConfigError(f"{source}: {message}") from exc


def load_config(path: str | Path, defaults: Mapping[str, str | None] | None = None) -> StudyConfig:
    """Read and validate a problem.toml (``defaults``: see :func:`parse_config`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    _check_sections(data, str(path))
    return parse_config(data, str(path), defaults)
