#!/usr/bin/env python3
"""A stand-alone bi-fidelity "simulator" for the command-problem example (a Forrester-like pair).

    ./sim.py INPUT_FILE FIDELITY

INPUT_FILE holds one point (one value, x in [0, 1]); FIDELITY is "low" or "high". Prints the value
on the last line of stdout. High: (6x - 2)^2 sin(12x - 4). Low: 0.5 high + 10 (x - 0.5) - 5.
Exits 2 with a message on stderr for a malformed input (mfopt records a failed evaluation).
"""

import math
import sys


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[2] not in ("low", "high"):
        print("usage: sim.py INPUT_FILE low|high", file=sys.stderr)
        return 2
    with open(sys.argv[1]) as handle:
        values = [float(v) for v in handle.read().split()]
    if len(values) != 1 or not 0.0 <= values[0] <= 1.0:
        print(f"expected one value in [0, 1], got {values}", file=sys.stderr)
        return 2
    x = values[0]
    high = (6 * x - 2) ** 2 * math.sin(12 * x - 4)
    value = high if sys.argv[2] == "high" else 0.5 * high + 10 * (x - 0.5) - 5
    print(f"simulating x = {x!r} at fidelity {sys.argv[2]}")  # a log line: only the last line counts
    print(repr(value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
