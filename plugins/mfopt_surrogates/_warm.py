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
  (``warm``: a new point can make a runner-up the best optimum);
- when that fit's negative log-likelihood per point (original units) is worse than the anchor's by
  more than :data:`DRIFT_NATS`, the new points disagree with the anchor's correlation: the full
  cold search runs as well and the better of the two is kept.

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
#: A warm fit whose negative log-likelihood per point exceeds the anchor's by more than this also
#: gets the full cold search (see the module docstring).
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
    """The last :data:`MEMO_SIZE` anchors, by fingerprint (least recently used dropped first)."""

    def __init__(self, size: int = MEMO_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[str, T] = OrderedDict()

    def get(self, key: str) -> T | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: str, item: T) -> None:
        self._items[key] = item
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


def warm_refit(
    memo: PrefixMemo[T],
    n: int,
    key: Callable[[int], str],
    cold: Callable[[int], T],
    warm: Callable[[T], T],
    score: Callable[[T], float],
) -> tuple[T, str]:
    """The fit of ``n`` rows and how it was made (``"cold"``, ``"warm"`` or ``"warm+cold"``).

    ``key(m)``: the fingerprint of the first ``m`` rows; ``cold(m)``: the full multi-start fit of
    the first ``m`` rows (``m = n``: all of them); ``warm(anchor)``: the fit of all rows started
    from ``anchor``'s optima; ``score(fit)``: its negative log-likelihood per point in the
    data's original units (comparable across samples of different sizes and output scalings).
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
    if score(fit) <= score(anchor) + DRIFT_NATS:
        return fit, "warm"
    full = cold(n)
    return (full if score(full) < score(fit) else fit), "warm+cold"
