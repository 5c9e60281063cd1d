"""Imports every sub-command module so that each registers itself on the app."""

from mfopt.cli import plugins_cmd  # noqa: F401
from mfopt.cli import problems_cmd  # noqa: F401
