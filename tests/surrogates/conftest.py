from __future__ import annotations

import pytest

from mfopt import Dataset
from tests.surrogates._data import branin_problem, forrester_problem, make_data


@pytest.fixture
def forrester_data() -> Dataset:
    return make_data(forrester_problem(), 8, 4)


@pytest.fixture
def branin_data() -> Dataset:
    return make_data(branin_problem(), 12, 6)
