"""Imports every sub-command module so that each registers itself on the app."""

from mfopt.cli import (
    benchmark_analyse_cmd,  # noqa: F401
    benchmark_cmd,  # noqa: F401
    benchmark_gradient_cmd,  # noqa: F401
    benchmark_run_cmd,  # noqa: F401
    compare_cmd,  # noqa: F401
    export_cmd,  # noqa: F401
    features_cmd,  # noqa: F401
    optimize_cmd,  # noqa: F401
    plugins_cmd,  # noqa: F401
    problems_cmd,  # noqa: F401
    report_cmd,  # noqa: F401
)
