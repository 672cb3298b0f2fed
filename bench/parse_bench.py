"""How parsing time grows with a note's length: a 40,000-line note against a 4,000-line one.

    .venv/bin/python bench/parse_bench.py [--lines 4000] [--factor 10] [--rounds 7]

Each note is one paragraph, the worst case for sentence splitting, which works within a
paragraph: every line is a sentence with a timestamp, a wikilink and an abbreviation, followed
by one without. Parsing time linear in the length gives a ratio near the factor (10); issue 6
sets the target at 12 or less. The quadratic splitter this replaced took 98 s for 4,000 lines.

The two sizes are parsed in interleaved rounds, the smaller first in even rounds and the larger
first in odd ones, so drift on the machine falls on both alike. Times are the CPU time of this
process (`time.process_time`), which other processes on a shared machine disturb far less
than the wall clock. Django is set up first, as the importer runs in it: the size of the heap
around the parse is part of what the garbage collector's passes cost.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 12

LINE = (
    "Dr. Rivera argues, e.g. in [[Open models {topic}]], that more eyes find bugs sooner "
    "[{hours:02d}:{minutes:02d}:{seconds:02d}]. Others say that closed weights stay safer.\n"
)


def note(lines: int) -> str:
    body = "".join(
        LINE.format(
            topic=number % 50, hours=number // 3600, minutes=number // 60 % 60, seconds=number % 60
        )
        for number in range(lines)
    )
    return f"---\ntitle: Bench\nvideoId: oX7OduG1YmI\n---\n\nFrom: [[bench]]\n\n{body}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=4_000, help="lines of the smaller note")
    parser.add_argument("--factor", type=int, default=10, help="how many times longer the other")
    parser.add_argument("--rounds", type=int, default=7)
    options = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from notes.parsing import Limits, parse_note

    # The larger note holds more timestamps and bytes than an import allows by default.
    unlimited = Limits(file_bytes=10**9, line_chars=10**9, timestamps=10**9, links=10**9)
    small, large = note(options.lines), note(options.lines * options.factor)

    def cpu_seconds(text: str) -> float:
        started = time.process_time()
        parse_note(text, unlimited)
        return time.process_time() - started

    cpu_seconds(small)  # warm-up: imports, regex and markdown-it caches
    times: dict[str, list[float]] = {"small": [], "large": []}
    ratios = []
    for round_number in range(options.rounds):
        order = ("small", "large") if round_number % 2 == 0 else ("large", "small")
        measured = {name: cpu_seconds(small if name == "small" else large) for name in order}
        for name, seconds in measured.items():
            times[name].append(seconds)
        ratios.append(measured["large"] / measured["small"])
        print(
            f"round {round_number + 1}: {measured['small']:.3f} s, {measured['large']:.3f} s, "
            f"ratio {ratios[-1]:.1f}",
            flush=True,
        )

    print()
    print(f"{'note':<20} {'bytes':>10} {'min s':>8} {'median s':>9} {'max s':>8}")
    for name, text, lines in (
        ("small", small, options.lines),
        ("large", large, options.lines * options.factor),
    ):
        seconds = times[name]
        print(
            f"{f'{lines:,} lines':<20} {len(text.encode()):>10,} {min(seconds):>8.3f} "
            f"{statistics.median(seconds):>9.3f} {max(seconds):>8.3f}"
        )
    median = statistics.median(ratios)
    print(
        f"\nratio {options.lines * options.factor:,} / {options.lines:,} lines: "
        f"min {min(ratios):.1f}, median {median:.1f}, max {max(ratios):.1f} "
        f"(linear: {options.factor}; target: at most {TARGET})"
    )
    return 0 if median <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
