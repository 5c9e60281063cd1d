"""Entry point of the first-party problems plugin (``[project.entry-points.mfopt] problems``)."""

from __future__ import annotations

from mfopt import Registry
from mfopt.plugin import hookimpl
from mfopt_problems import literature


@hookimpl
def mfopt_register_problems(registry: Registry) -> None:
    literature.register(registry)
