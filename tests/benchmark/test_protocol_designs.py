"""The study's cached designs (the cheap level cached per ``(d, n_l, seed)``, the subset per ``n_h``)
are exactly :func:`mfopt.design.nested_design`'s, for every budget sharing a cheap level."""

from __future__ import annotations

import torch

from mfopt.benchmark.protocol import cheap_level, unit_design
from mfopt.design import nested_design


def test_cached_designs_equal_nested_design_for_every_n_high() -> None:
    cheap_level.cache_clear()
    unit_design.cache_clear()
    for dim, n_low, n_highs, seed in ((1, 8, (2, 4, 8), 3), (3, 24, (6, 12, 18, 24), 11), (5, 20, (10, 20), 0)):
        unit = torch.stack([torch.zeros(dim, dtype=torch.float64), torch.ones(dim, dtype=torch.float64)])
        for n_high in n_highs:
            X_l, X_h = unit_design(dim, n_low, n_high, seed)
            ref_l, ref_h = nested_design(unit, [n_low, n_high], seed=seed)
            assert torch.equal(X_l, ref_l)
            assert torch.equal(X_h, ref_h)
    info = cheap_level.cache_info()
    assert (info.misses, info.hits) == (3, 6)  # one maximin hypercube per (d, n_l, seed)
