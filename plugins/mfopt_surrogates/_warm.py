"""Warm-started refits of a growing sample whose result depends on the data only.

An optimisation loop refits its surrogate after every one or few new points, and the likelihood
optimum barely moves; a full multi-start search each time is most of an iteration's cost. A
surrogate's :meth:`~mfopt.Surrogate.refit` may reuse earlier work, but the model must not depend
on what the process happened to fit before (a resumed study, a fresh strategy or a second call on
the same state must give the same model). So the warm start is itself a function of the data:

- the **anchor** of ``n`` rows is the COLD fit of the data's first ``m`` rows, ``m`` =
  :func:`anchor_size` (the largest checkpoint ``<= n``; checkpoints start at :data:`FIRST` rows
  and grow by :data:`GROWTH`; below :data:`FIRST` rows every fit is cold);
- the fit of all ``n`` rows is a local search from the anchor's optimum and its runners-up
  (``warm``: a new point can make a runner-up the best optimum), and from the best isotropic
  candidate on all rows, the first start of the cold search (new points can also create a basin
  that none of the anchor's optima leads to: a loop sampling the corners of LiuStyblinskiTang's
  cheap level did, see docs/surrogates.md);
- when that fit's optimum has moved away from the anchor's -- its parameters, evaluated on the
  anchor's own rows, give a negative log-likelihood per anchor row worse than the anchor's by more
  than :data:`DRIFT_NATS` -- the new points have reshaped the likelihood: the full cold search runs
  as well and the better of the two is kept.

The drift is measured on the anchor's rows, not by comparing the two fits' likelihoods per point:
a new point that no correlation predicts (a loop that samples a bound, where a function takes
extreme values) makes every fit's likelihood per point worse without moving the optimum, and so
said nothing about whether the anchor's optima are still the right starts (on the cheap level of
benchmarks/speed.py's Co-Kriging loop that comparison ran the cold search on every iteration from
n_l = 207 on). A new basin that becomes the best without the anchor's optimum moving is detected
by neither measure: the isotropic start is there for it.

A loop fits the anchor once, when the data reach a checkpoint (that iteration is a cold fit);
:class:`PrefixMemo` keeps it, keyed by a fingerprint of the rows it saw, and later iterations only
pay the warm search. The memo only saves time: without it (a fresh process) the anchor is fitted
again, to the same bits. Rows must keep their order as data grow (a study's observations are in
store order, new ones last); if the first ``m`` rows change, the fingerprint does, and the anchor
is refitted.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from torch import Tensor

#: The first checkpoint: samples of fewer rows are always fitted cold (they are cheap).
FIRST = 30
#: Each checkpoint is this factor above the previous one (at least one row more).
GROWTH = 1.1
#: A warm fit whose parameters cost the anchor's own rows more than this (nats per anchor row, against
#: the anchor's optimum) also gets the full cold search (see the module docstring).
DRIFT_NATS = 0.25
#: Anchors kept per surrogate (a strategy fits several datasets per iteration: fused, shadow, believer).
MEMO_SIZE = 8

T = TypeVar("T")


def anchor_size(n: int) -> int | None:
    """The largest checkpoint ``<= n`` (30, 33, 36, 39, 42, 46, ...), None below :data:`FIRST`."""
    if n < FIRST:
        return None
    m = FIRST
    while (nxt := max(m + 1, int(m * GROWTH))) <= n:
        m = nxt
    return m


def fingerprint(*tensors: Tensor) -> str:
    """A digest of the tensors' shapes and values (float64 bits): equal rows, equal key."""
    digest = hashlib.sha256()
    for t in tensors:
        digest.update(str(tuple(t.shape)).encode())
        digest.update(t.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


class PrefixMemo(Generic[T]):
    """The last :data:`MEMO_SIZE` anchors, by fingerprint (least recently used dropped first);
    ``keep``: what of an anchor the memo keeps (e.g. its objective without the ``n² d`` distances)."""

    def __init__(self, size: int = MEMO_SIZE, keep: Callable[[T], T] | None = None) -> None:
        self.size = size
        self.keep = keep
        self._items: OrderedDict[str, T] = OrderedDict()

    def get(self, key: str) -> T | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: str, item: T) -> None:
        self._items[key] = item if self.keep is None else self.keep(item)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


def warm_refit(
    memo: PrefixMemo[T],
    n: int,
    key: Callable[[int], str],
    cold: Callable[[int], T],
    warm: Callable[[T], T],
    drift: Callable[[T, T], float],
    score: Callable[[T], float],
) -> tuple[T, str]:
    """The fit of ``n`` rows and how it was made (``"cold"``, ``"warm"`` or ``"warm+cold"``).

    ``key(m)``: the fingerprint of the first ``m`` rows; ``cold(m)``: the full multi-start fit of
    the first ``m`` rows (``m = n``: all of them); ``warm(anchor)``: the fit of all rows started
    from ``anchor``'s optima; ``drift(anchor, fit)``: the negative log-likelihood per anchor row of
    ``fit``'s parameters on the anchor's rows minus the anchor's own; ``score(fit)``: a fit's
    objective (lower is better), to choose between two fits of the same rows.
    """
    m = anchor_size(n)
    if m is None:
        return cold(n), "cold"
    k = key(m)
    anchor = memo.get(k)
    if anchor is None:
        anchor = cold(m)
        memo.put(k, anchor)
    if m == n:
        return anchor, "cold"
    fit = warm(anchor)
    if drift(anchor, fit) <= DRIFT_NATS:
        return fit, "warm"
    full = cold(n)
    return (full if score(full) < score(fit) else fit), "warm+cold"
