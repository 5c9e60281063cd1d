"""mfopt's plugin system (pluggy), and the guide for plugin authors.

Everything domain-specific in mfopt is a plugin: problems, surrogates, low-fidelity-harm
detectors, acquisition functions and executors. First-party plugins (``plugins/mfopt_*``) come in
through exactly the door a third-party package uses: the ``mfopt`` entry-point group.

Writing a plugin package
------------------------

1. A module with hook implementations::

       # my_plugin/plugin.py
       from mfopt.plugin import hookimpl

       @hookimpl
       def mfopt_register_problems(registry):
           registry.register("MyPair", make_my_pair, description="my bi-fidelity pair", dim=2)

2. Declare it in your ``pyproject.toml``::

       [project.entry-points.mfopt]
       my-plugin = "my_plugin.plugin"

3. ``pip install`` it; ``mfopt plugins`` lists what it registered, and a problem.toml can name
   ``MyPair``. Run the contract suites of :mod:`mfopt.testing` in your tests.

Implementations may accept a subset of a hook's arguments (pluggy), so hooks gain arguments
over time without breaking plugins. ``MFOPT_DISABLE_PLUGINS=name,other`` blocks plugins by
entry-point name.
"""

from __future__ import annotations

import pluggy

PROJECT_NAME = "mfopt"
ENTRY_POINT_GROUP = "mfopt"

#: Marker for hook implementations: ``@hookimpl def mfopt_register_problems(registry): ...``
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
#: Marker for hook specifications (used by :mod:`mfopt.plugin.hookspecs`).
hookspec = pluggy.HookspecMarker(PROJECT_NAME)

__all__ = ["ENTRY_POINT_GROUP", "PROJECT_NAME", "hookimpl", "hookspec"]
