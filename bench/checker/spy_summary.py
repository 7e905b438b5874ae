"""Sum up py-spy's collapsed stacks (``run.py --py-spy DIR``): where a checker's samples go.

    .venv/bin/python bench/checker/spy_summary.py DIR/sqlite-10000-0.txt [--top 30]

Each line of a ``--format raw`` file is one stack (frames separated by ``;``, outermost first)
and its sample count. Printed: the share of samples per thread, the functions that hold the
most samples including what they call (inclusive), and those that hold them themselves (self).
A function that appears twice in one stack (recursion) is counted once for that stack.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^:()]*)(?::\d+)?\)$")


def frame_name(frame: str) -> str:
    """``function (path/to/module.py:123)`` → ``module.py:function`` (lines merged)."""
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    return f"{Path(match['file']).name}:{match['function']}"


def parse(path: Path) -> tuple[Counter[str], Counter[str], Counter[str], int]:
    threads: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    self_: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        thread = next((f for f in frames if f.startswith("thread ")), "thread ?")
        code = [frame_name(f) for f in frames if not f.startswith(("thread ", "process "))]
        total += count
        threads[thread] += count
        for name in set(code):
            inclusive[name] += count
        if code:
            self_[code[-1]] += count
    return threads, inclusive, self_, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    for path in args.files:
        threads, inclusive, self_, total = parse(path)
        if not total:
            print(f"{path}: no samples")
            continue
        print(f"## {path.name}: {total} samples (active ones; idle waits are not sampled)")
        for title, counter in (("thread", threads), ("inclusive", inclusive), ("self", self_)):
            print(f"\n| {title} | samples | share |\n|---|---:|---:|")
            for name, count in counter.most_common(args.top if title != "thread" else 10):
                print(f"| {name} | {count} | {100 * count / total:.1f} % |")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
