"""Disturbance-based bi-fidelity pairs (Andrés-Thió, Muñoz & Smith-Miles 2022, INFORMS J. Comput. 34(6)).

``f_l(x) = f_h(x) + m(x) g(t)`` with ``D = ||ub - lb||``, ``t = ||x - lb|| / D`` and
``g(t) = A (f_max - f_min) cos(2 pi F t) sin(2 pi F t^2)``. The weight ``m`` is 0 outside the disturbed
region and, inside it:

- ``h1`` (near a height): ``|f_h - c| < R_abs``: ``m = 1 - |f_h - c| / R_abs``, with
  ``c = f_min + H (f_max - f_min)`` and ``R_abs = R (f_max - f_min)``;
- ``h2`` (away from a height): ``|f_h - c| > R_abs``:
  ``m = 1 - ((f_max - f_min) - |f_h - c|) / ((f_max - f_min) - R_abs)``;
- ``s1`` (away from centres): ``delta > R_abs``: ``m = 1 - (D - delta) / (D - R_abs)``, with ``delta`` the
  distance to the nearest of ``C`` centres (a seeded Latin hypercube, seed ``s``) and ``R_abs = R D``;
- ``s2`` (near centres): ``delta < R_abs``: ``m = 1 - delta / R_abs``.

Names (any values parse; a Registry resolver builds them on demand)::

    DisturbanceBasedFunction<k>-seed<s>-disth<1|2>-height<H>-radius<R>-freq<F>-amp<A>
    DisturbanceBasedFunction<k>-seed<s>-dists<1|2>-centres<C>-radius<R>-freq<F>-amp<A>
    COCOfunction<f>-dim<d>-seed<s>-disth<1|2>-height<H>-radius<R>-freq<F>-amp<A>   (and -dists...)

``k`` (1..38) indexes the HF in :data:`mfopt_problems.literature.BASE_FUNCTIONS` (the benchmark's order:
1 = LiuPedagogical, ..., 6 = LiuBranin, ..., 38 = LiuAckley20); the pair's box is that HF's box.
``COCOfunction<f>-dim<d>`` uses BBOB function ``f`` (1..24) of dimension ``d`` on [-5, 5]^d through ``ioh``,
instance ``max(s, 1)``. ``f_min``/``f_max`` come from :mod:`mfopt_problems.extrema` (cached).
Literature-based pairs are torch end to end (autograd gradients of the LF include ``m``); BBOB-based
pairs have no gradients.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import torch
from torch import Tensor

from mfopt import FunctionProblem, Problem, Registry, lhs
from mfopt_problems import extrema, literature
from mfopt_problems.bbob import BBOBFunction, bbob_bounds
from mfopt_problems.pair import HIGH, LOW, TorchFn

_NUM = r"\d+(?:\.\d+)?"
NAME = re.compile(
    rf"^(?:DisturbanceBasedFunction(?P<k>\d+)|COCOfunction(?P<f>\d+)-dim(?P<d>\d+))-seed(?P<seed>\d+)-"
    rf"(?:disth(?P<h>[12])-height(?P<H>{_NUM})|dists(?P<s>[12])-centres(?P<C>\d+))"
    rf"-radius(?P<R>{_NUM})-freq(?P<F>{_NUM})-amp(?P<A>{_NUM})$"
)


@dataclass(frozen=True)
class Spec:
    """A parsed disturbance-based name. ``kind`` is ``h1``, ``h2``, ``s1`` or ``s2``."""

    name: str
    kind: str
    seed: int
    radius: float
    freq: float
    amp: float
    height: float = 0.0
    centres: int = 0
    base: int | None = None  # literature base function index
    bbob: tuple[int, int] | None = None  # (function, dimension)

    def validate(self) -> None:
        if self.base is not None and not 1 <= self.base <= len(literature.BASE_FUNCTIONS):
            raise ValueError(f"{self.name}: base function must lie in 1..{len(literature.BASE_FUNCTIONS)}")
        if self.bbob is not None and (not 1 <= self.bbob[0] <= 24 or self.bbob[1] < 2):
            raise ValueError(f"{self.name}: COCO function must lie in 1..24 and dimension be at least 2")
        if not 0.0 <= self.height <= 1.0:
            raise ValueError(f"{self.name}: height must lie in [0, 1], got {self.height}")
        if not 0.0 < self.radius < 1.0:
            raise ValueError(f"{self.name}: radius must lie in (0, 1), got {self.radius}")
        if self.kind.startswith("s") and self.centres < 1:
            raise ValueError(f"{self.name}: at least one centre is needed")


def parse(name: str) -> Spec | None:
    """The :class:`Spec` of ``name``, or None when the name does not follow the grammar."""
    m = NAME.match(name)
    if m is None:
        return None
    kind = f"h{m['h']}" if m["h"] else f"s{m['s']}"
    return Spec(
        name=name,
        kind=kind,
        seed=int(m["seed"]),
        radius=float(m["R"]),
        freq=float(m["F"]),
        amp=float(m["A"]),
        height=float(m["H"]) if m["H"] else 0.0,
        centres=int(m["C"]) if m["C"] else 0,
        base=int(m["k"]) if m["k"] else None,
        bbob=(int(m["f"]), int(m["d"])) if m["f"] else None,
    )


@dataclass(frozen=True)
class Disturbed:
    """The LF ``f_h + m g`` as a picklable callable ``n x d`` -> ``n`` (torch operations throughout)."""

    high: TorchFn
    kind: str
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    fmin: float
    fmax: float
    height: float
    radius: float
    freq: float
    amp: float
    centres: tuple[tuple[float, ...], ...] = ()

    def weight(self, X: Tensor, fh: Tensor) -> Tensor:
        """``m(x)`` in [0, 1], shape ``n``."""
        span = self.fmax - self.fmin
        zero = torch.zeros_like(fh)
        if self.kind in ("h1", "h2"):
            c, r_abs = self.fmin + self.height * span, self.radius * span
            dist = (fh - c).abs()
            if self.kind == "h1":
                return torch.where(dist < r_abs, 1 - dist / r_abs, zero)
            return torch.where(dist > r_abs, 1 - (span - dist) / (span - r_abs), zero)
        D = self.diameter
        r_abs = self.radius * D
        C = torch.tensor(self.centres, dtype=X.dtype, device=X.device)
        delta = torch.cdist(X.reshape(-1, X.shape[-1]), C).min(dim=-1).values.reshape(fh.shape)
        if self.kind == "s1":
            return torch.where(delta > r_abs, 1 - (D - delta) / (D - r_abs), zero)
        return torch.where(delta < r_abs, 1 - delta / r_abs, zero)

    @property
    def diameter(self) -> float:
        return math.dist(self.lower, self.upper)

    def disturbance(self, X: Tensor) -> Tensor:
        """``g(t)``, shape ``n``."""
        lb = torch.tensor(self.lower, dtype=X.dtype, device=X.device)
        t = torch.linalg.vector_norm(X - lb, dim=-1) / self.diameter
        w = 2 * math.pi * self.freq
        return self.amp * (self.fmax - self.fmin) * torch.cos(w * t) * torch.sin(w * t**2)

    def __call__(self, X: Tensor) -> Tensor:
        fh = self.high(X)
        return fh + self.weight(X, fh) * self.disturbance(X)


def build(spec: Spec) -> Problem:
    """The problem named by ``spec`` (computes or loads the HF's ``f_min``/``f_max``)."""
    spec.validate()
    high: TorchFn
    if spec.base is not None:
        pair = literature.base_function(spec.base)
        high, bounds, optimum, key = pair.high, pair.bounds, pair.optimum, f"lit-{pair.name}"
    else:
        assert spec.bbob is not None
        fid, dim = spec.bbob
        bbob = BBOBFunction(fid, dim, spec.seed)
        high, bounds, optimum = bbob, bbob_bounds(dim), bbob.optimum
        key = f"bbob-f{fid}-d{dim}-i{bbob.instance}"
    fmin, fmax = extrema.extrema(key, high, bounds, known_min=optimum)
    centres: tuple[tuple[float, ...], ...] = ()
    if spec.kind.startswith("s"):
        C = lhs(spec.centres, torch.tensor(bounds, dtype=torch.float64), seed=spec.seed)
        centres = tuple(tuple(float(v) for v in row) for row in C)
    low = Disturbed(high, spec.kind, bounds[0], bounds[1], fmin, fmax, spec.height, spec.radius, spec.freq,
                    spec.amp, centres)  # fmt: skip
    if spec.base is not None:
        return FunctionProblem(spec.name, bounds, {"low": low, "high": high}, (LOW, HIGH), optimum)
    return FunctionProblem(spec.name, bounds, {"low": low, "high": high}, (LOW, HIGH), optimum, differentiable=False)


def _invalid(message: str) -> Problem:
    raise ValueError(message)


def resolve(name: str) -> Callable[[], Problem] | None:
    """Registry resolver: a factory for any name of the grammar, else None. Out-of-range values give a
    factory that raises ValueError (reported as a configuration error naming the problem)."""
    spec = parse(name)
    if spec is None:
        return None
    try:
        spec.validate()
    except ValueError as exc:
        return partial(_invalid, str(exc))
    return partial(build, spec)


#: Enumerated names registered for listing: one h1 and one s2 setting per literature base function,
#: and one s2 setting per BBOB function in d = 5 and 20. Every other combination resolves on demand.
def enumerated() -> list[tuple[str, int, tuple[tuple[float, ...], tuple[float, ...]]]]:
    out = []
    for k, base_name in enumerate(literature.BASE_FUNCTIONS, start=1):
        pair = literature.get(base_name)
        out.append(
            (f"DisturbanceBasedFunction{k}-seed1-disth1-height0.5-radius0.1-freq2-amp0.5", pair.dim, pair.bounds)
        )
        out.append((f"DisturbanceBasedFunction{k}-seed1-dists2-centres3-radius0.1-freq5-amp1", pair.dim, pair.bounds))
    for dim in (5, 20):
        for fid in range(1, 25):
            out.append((f"COCOfunction{fid}-dim{dim}-seed1-dists2-centres3-radius0.1-freq2-amp0.5", dim,
                        bbob_bounds(dim)))  # fmt: skip
    return out


def register(registry: Registry) -> None:
    for name, dim, (lb, ub) in enumerated():
        spec = parse(name)
        assert spec is not None
        base = literature.BASE_FUNCTIONS[spec.base - 1] if spec.base else f"BBOB f{spec.bbob[0]}"  # type: ignore[index]
        registry.register(
            name,
            partial(build, spec),
            description=f"disturbance-based pair ({spec.kind}) on {base}",
            dim=dim,
            domain=[list(lb), list(ub)],
            fidelities=["low", "high"],
            family="DisturbanceBasedFunction<k>/COCOfunction<f>-dim<d>-seed<s>-...",
        )
    registry.register_resolver(
        resolve,
        description="DisturbanceBasedFunction<k>|COCOfunction<f>-dim<d> -seed<s>-disth<1|2>-height<H>|"
        "dists<1|2>-centres<C> -radius<R>-freq<F>-amp<A>",
    )


__all__ = ["NAME", "Disturbed", "Spec", "build", "enumerated", "parse", "register", "resolve"]
