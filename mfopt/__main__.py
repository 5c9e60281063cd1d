"""``python -m mfopt`` is the ``mfopt`` command."""

from mfopt.cli import main

main()
