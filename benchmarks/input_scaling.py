#!/usr/bin/env python3
"""How gradsh's input handling scales: one open block of N lines, and a file of N one-line
statements, each at N, 2N and 4N. Linear handling doubles the time with N; re-parsing the
open chunk at every line (the old way) quadrupled it.

    python3 benchmarks/input_scaling.py [path/to/gradsh]

Prints user CPU seconds (median of 3) per size and the ratio per doubling."""
import os
import resource
import statistics
import subprocess
import sys
import tempfile

GRADSH = sys.argv[1] if len(sys.argv) > 1 else ".build/release/gradsh"


def block(n):
    # Every line has a comparison: a '>' that must not be taken for the block's end.
    return "a = 1\nb = 2\nno_grad <\n" + "".join(f"  c{i % 50} = a > b\n" for i in range(n)) + ">\n"


def flat(n):
    return "".join(f"a{i % 50} = {i} * 2\n" for i in range(n))


def user_seconds(text):
    with tempfile.NamedTemporaryFile("w", suffix=".grad", delete=False) as f:
        f.write(text)
    try:
        times = []
        for _ in range(3):
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
            subprocess.run([GRADSH, "--quiet", f.name], check=True, stdout=subprocess.DEVNULL)
            times.append(resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before)
        return statistics.median(times)
    finally:
        os.unlink(f.name)


for name, make, base in [("block", block, 25_000), ("file", flat, 250_000)]:
    sizes = [base, 2 * base, 4 * base]
    times = [user_seconds(make(n)) for n in sizes]
    ratios = [b / a if a > 0 else float("nan") for a, b in zip(times, times[1:])]
    cells = ", ".join(f"{n:,} lines {t:.2f} s" for n, t in zip(sizes, times))
    verdict = "linear" if max(ratios) < 2.6 else "NOT linear"
    print(f"{name}: {cells}; per doubling x{' x'.join(f'{r:.2f}' for r in ratios)} ({verdict})")
