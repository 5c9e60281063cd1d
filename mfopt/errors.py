"""The exception tree. Every error mfopt raises on purpose derives from :class:`MfoptError`.

User mistakes (a bad problem.toml, an unknown plugin name, a malformed data file) are
:class:`ConfigError`: the CLI prints their message as one line and exits with code 2.
"""

from __future__ import annotations


class MfoptError(Exception):
    """Base class of every error raised by mfopt on purpose."""


class ConfigError(MfoptError):
    """A user-supplied configuration or input is invalid.

    The message is one line naming where (file, key) and what was expected and found.
    """


class PluginError(MfoptError):
    """A plugin failed to load, to register, or raised inside a hook.

    The message names the plugin and its distribution version; the original exception is chained.
    """


class RegistryError(PluginError):
    """A name was registered twice, or looked up and not found."""


class UnknownNameError(RegistryError, ConfigError):
    """A name that no plugin registered was asked for: a user mistake (exit code 2 on the CLI)."""


class EvaluationError(MfoptError):
    """An objective evaluation failed; the loop records it as a failed observation and goes on."""


class ModelFittingError(MfoptError):
    """A surrogate could not be fitted to the data in hand."""


class StoreError(MfoptError):
    """The run store is missing, corrupt, or belongs to a different configuration."""


class StoreCorruptError(StoreError, ConfigError):
    """The run store is not a readable mfopt store (garbage, truncated, creation killed): exit code 2."""


class StoreLockedError(StoreError, ConfigError):
    """Another process holds the run directory's lock (one run, one writer): exit code 2."""
