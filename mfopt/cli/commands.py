"""Imports every sub-command module so that each registers itself on the app."""

from mfopt.cli import plugins_cmd  # noqa: F401
