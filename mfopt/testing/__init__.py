"""Contract suites every plugin kind must pass, for first-party and third-party plugins alike.

Each ``check_*`` function runs the real plugin on small data and raises ``AssertionError`` with a
message naming the broken rule. Use them in your plugin's tests::

    from mfopt.testing import check_problem

    def test_my_pair_meets_the_contract():
        check_problem(make_my_pair())
"""

from mfopt.testing.contracts import (
    check_acquisition,
    check_detector,
    check_executor,
    check_problem,
    check_surrogate,
    make_dataset,
)
from mfopt.testing.strategies import check_strategy, make_state

__all__ = [
    "check_acquisition",
    "check_detector",
    "check_executor",
    "check_problem",
    "check_strategy",
    "check_surrogate",
    "make_dataset",
    "make_state",
]
