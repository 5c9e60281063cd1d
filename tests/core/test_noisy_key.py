"""[problem] noisy = true: surrogates that declare a ``noise`` option learn a noise term."""

from __future__ import annotations

import pytest

from mfopt.components import build_components
from mfopt.config import parse_config
from mfopt.errors import ConfigError
from mfopt.plugin.manager import get_plugin_manager


def _config(noisy: object, **surrogate: object) -> dict[str, object]:
    return {
        "problem": {"name": "SongToalForretal0.50", "noisy": noisy},
        "budget": {"total": 10.0},
        "surrogate": {"name": "kriging", **surrogate},
    }


@pytest.mark.parametrize(("noisy", "surrogate", "expected"), [
    (True, {}, "learn"), (False, {}, "none"), (True, {"noise": 0.01}, 0.01),
])  # fmt: skip
def test_noisy_problem_selects_the_declared_noise_option(noisy: bool, surrogate: dict, expected: object) -> None:  # type: ignore[type-arg]
    config = parse_config(_config(noisy, **surrogate), "p.toml")
    parts = build_components(config, get_plugin_manager(), "p.toml")
    assert parts.surrogate.noise == expected  # type: ignore[attr-defined]


def test_noisy_must_be_a_bool() -> None:
    with pytest.raises(ConfigError, match=r"\[problem\].noisy"):
        parse_config(_config("yes"), "p.toml")
