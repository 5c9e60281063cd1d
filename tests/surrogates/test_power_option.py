"""The power-exponential exponent option ``p``: a number in [0.1, 2] or ``"learn"``, through the
same config path a problem.toml takes (the option models once rejected ``"learn"`` itself)."""

from __future__ import annotations

import pytest
from mfopt_surrogates.cokriging import CoKriging
from mfopt_surrogates.kriging import Kriging

from mfopt.components import build_components
from mfopt.config import parse_config
from mfopt.errors import ConfigError
from mfopt.plugin.manager import get_plugin_manager


def _parts(p: object):  # type: ignore[no-untyped-def]
    raw = {
        "problem": {"name": "SongToalForretal0.50"},
        "budget": {"total": 10.0},
        "surrogate": {"name": "kriging", "p": p},
        "multi_surrogate": {"name": "cokriging", "p": p},
    }
    return build_components(parse_config(raw, "p.toml"), get_plugin_manager(), "p.toml")


@pytest.mark.parametrize("p", ["learn", 2, 1.5, 0.1])
def test_p_learn_and_numbers_in_range_reach_both_models(p: object) -> None:
    parts = _parts(p)
    assert isinstance(parts.surrogate, Kriging) and isinstance(parts.multi_surrogate, CoKriging)
    expected = None if p == "learn" else p  # None: one exponent per dimension, learned with θ
    assert parts.surrogate.p == expected and parts.multi_surrogate.p == expected


@pytest.mark.parametrize("p", [2.5, 0.05, "fixed"])
def test_p_out_of_range_or_unknown_is_a_config_error_naming_the_key(p: object) -> None:
    with pytest.raises(ConfigError, match=r"\[surrogate\]\.p"):
        _parts(p)
