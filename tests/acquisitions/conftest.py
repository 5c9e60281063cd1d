"""Small fitted models shared by the acquisition tests (fitted once per session: fits take seconds)."""

from __future__ import annotations

import pytest
import torch

from mfopt import Dataset, FittedSurrogate, get_plugin_manager
from mfopt.testing import make_dataset


@pytest.fixture(scope="session", autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)  # tiny models: threading only adds contention on shared CI cores


@pytest.fixture(scope="session")
def bifidelity_data() -> Dataset:
    problem = get_plugin_manager().problems.create("SongToalForretal0.00", "test")
    return make_dataset(problem, [8, 4], seed=0)


@pytest.fixture(scope="session")
def cokriging_model(bifidelity_data: Dataset) -> FittedSurrogate:
    return get_plugin_manager().surrogates.create("cokriging", "test", device="cpu", seed=0).fit(bifidelity_data)


@pytest.fixture(scope="session")
def kriging_model(bifidelity_data: Dataset) -> FittedSurrogate:
    data = bifidelity_data.restrict(["high"])
    return get_plugin_manager().surrogates.create("kriging", "test", device="cpu", seed=0).fit(data)
