"""The plugin's own test: it meets mfopt's problem contract."""

from mfopt_example_plugin.plugin import make_example_sphere

from mfopt.testing import check_problem


def test_example_sphere_meets_the_problem_contract() -> None:
    check_problem(make_example_sphere())
