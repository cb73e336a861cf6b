"""Sums py-spy's collapsed stacks (bench/load.py --profile) by function, inclusive and self.

.venv/bin/python bench/top_frames.py PROFILE.txt [--only mitramedia] [-n 30]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile", type=Path)
    parser.add_argument("--only", default="", help="keep frames whose text contains this")
    parser.add_argument("-n", type=int, default=30)
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in args.profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")
        for frame in set(frames):
            if args.only in frame:
                inclusive[frame] += samples
        own[frames[-1]] += samples
    print(f"{total} samples\n-- inclusive")
    for frame, samples in inclusive.most_common(args.n):
        print(f"{samples / total:6.1%}  {frame}")
    print("-- self")
    for frame, samples in own.most_common(args.n):
        print(f"{samples / total:6.1%}  {frame}")


if __name__ == "__main__":
    main()
