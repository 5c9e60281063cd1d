"""``mfopt --help`` without typer: the root help text rendered from :mod:`mfopt.cli.commands`.

The layout is click's (the help typer would print with ``rich_markup_mode=None``): usage line,
description, options and commands as two-column lists, each command's summary shortened to the
width left, wrapped to the terminal width capped at 80 columns. ``tests/core/test_cli_startup.py``
compares this text with typer's own rendering at several widths.
"""

from __future__ import annotations

import shutil
import textwrap

from mfopt.cli.commands import APP_HELP, COMMANDS, DEBUG_HELP

USAGE = "Usage: mfopt [OPTIONS] COMMAND [ARGS]..."
_OPTIONS = (("--debug", DEBUG_HELP), ("--help", "Show this message and exit."))


def _short_help(text: str, limit: int) -> str:
    """The first sentence of ``text`` if it fits in ``limit`` characters, else whole words + '...'."""
    words = text.split()
    total = 0
    for i, word in enumerate(words):
        total += len(word) + (i > 0)
        if total > limit:
            break
        if word.endswith("."):
            return " ".join(words[: i + 1])
        if total == limit and i != len(words) - 1:
            break
    else:
        return " ".join(words)
    total += len("...")
    while i > 0:
        total -= len(words[i]) + 1
        if total <= limit:
            break
        i -= 1
    return " ".join(words[:i]) + "..."


def _definitions(rows: list[tuple[str, str]], width: int) -> list[str]:
    """Rows as click's definition list, indented by two columns."""
    first = min(max(len(name) for name, _ in rows), 30) + 2
    text_width = max(width - first - 2, 10)
    lines = []
    for name, text in rows:
        wrapped = textwrap.wrap(text, text_width) or [""]
        pad = " " * (first - len(name)) if len(name) <= first - 2 else "\n" + " " * (first + 2)
        lines.append(f"  {name}{pad}{wrapped[0]}")
        lines += [" " * (first + 2) + line for line in wrapped[1:]]
    return lines


def root_help() -> str:
    """The text of ``mfopt --help``."""
    width = max(min(shutil.get_terminal_size().columns, 80) - 2, 50)
    limit = width - 6 - max(len(name) for name in COMMANDS)
    lines = [USAGE, "", *textwrap.wrap(APP_HELP, width, initial_indent="  ", subsequent_indent="  "), ""]
    lines += ["Options:", *_definitions(list(_OPTIONS), width), ""]
    lines += ["Commands:", *_definitions([(n, _short_help(c.summary, limit)) for n, c in COMMANDS.items()], width)]
    return "\n".join(lines) + "\n"
