"""Every registered first-party plugin passes its family's contract suite from mfopt.testing.

The names come from the registries at test time, so a plugin added later is checked without
editing this file.
"""

from __future__ import annotations

import re

import pytest

from mfopt import get_plugin_manager
from mfopt.testing import (
    check_acquisition,
    check_detector,
    check_executor,
    check_problem,
    check_surrogate,
    make_dataset,
)

PM = get_plugin_manager()
FIRST_PARTY = "mfopt"


def _names(family: str) -> list[str]:
    return [e.name for e in PM.registries[family] if e.provider.distribution == FIRST_PARTY]


def _family_representatives() -> list[str]:
    """One problem per name family (the trailing parameters stripped); external programs and the
    user-problem kinds (which need options) have their own tests."""
    seen: dict[str, str] = {}
    for name in [e.name for e in PM.problems if e.provider.distribution == FIRST_PARTY and e.key is None]:
        key = re.sub(r"[\d.]+$", "", re.sub(r"-.*", "", name))
        seen.setdefault(key, name)
    return sorted(n for n in seen.values() if not n.upper().startswith("SOLAR"))


@pytest.mark.parametrize("name", _family_representatives())
def test_problem_contract(name: str) -> None:
    check_problem(PM.problems.create(name), n=4)


@pytest.fixture(scope="module")
def forrester_data():  # type: ignore[no-untyped-def]
    problem = PM.problems.create("SongToalForretal0.50")
    return make_dataset(problem, [10, 5], seed=2, gradients=True)


@pytest.mark.parametrize("name", _names("surrogates"))
def test_surrogate_contract(name: str, forrester_data) -> None:  # type: ignore[no-untyped-def]
    surrogate = PM.surrogates.create(name, device="cpu", seed=0)
    data = forrester_data if surrogate.multi_fidelity else forrester_data.restrict(["high"])
    check_surrogate(surrogate, data)


@pytest.mark.parametrize("name", _names("detectors"))
def test_detector_contract(name: str, forrester_data) -> None:  # type: ignore[no-untyped-def]
    check_detector(PM.detectors.create(name), forrester_data)


@pytest.mark.parametrize("name", _names("acquisitions"))
def test_acquisition_contract_on_single_and_multi_fidelity_models(name: str, forrester_data) -> None:  # type: ignore[no-untyped-def]
    acquisition = PM.acquisitions.create(name)
    hf = forrester_data.restrict(["high"])
    check_acquisition(acquisition, PM.surrogates.create("kriging", device="cpu", seed=0).fit(hf), hf)
    fitted = PM.surrogates.create("cokriging", device="cpu", seed=0).fit(forrester_data)
    check_acquisition(acquisition, fitted, forrester_data)


@pytest.mark.parametrize("name", [n for n in _names("executors") if n != "dask"])
def test_executor_contract(name: str) -> None:
    check_executor(PM.executors.create(name))
