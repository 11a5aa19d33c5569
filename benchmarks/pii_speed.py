"""PII stage speed on 1 KB messages (issue 2 target: keyword + PII >= 5,000 1-KB messages/s per core,
so the PII share should stay well under 100 µs a message).

Prints the PII detector's mean time per message on (a) ordinary Chinese text and (b) the same text
with identifiers sprinkled in, and as the baseline, measured in the same run on the same messages,
one pass of a single trivial compiled regex (``[0-9]{4}``) — the floor of any regex-based scan.

Run: .venv/bin/python benchmarks/pii_speed.py   (uses ../shared/data/cold when present, else
synthetic Chinese text)
"""

from __future__ import annotations

import csv
import random
import re
import time
from pathlib import Path

from hegui.moderation.pii import PIIDetector

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "cold" / "train.csv"
SAMPLE_PII = ["手机13812345678", "身份证11010519491231002X", "邮箱zhang.san@example.com",
              "车牌京A12345", "电话010-62345678", "卡号6222021234567890123", "IP 8.8.8.8"]


def sentences() -> list[str]:
    if DATA.is_file():
        with DATA.open(encoding="utf-8-sig") as fh:
            return [row["TEXT"] for row in csv.DictReader(fh)]
    rng = random.Random(0)
    return ["".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(40)) + "，2023年10月。"
            for _ in range(2000)]


def messages(pool: list[str], n: int, with_pii: bool, rng: random.Random) -> list[str]:
    out = []
    for _ in range(n):
        parts: list[str] = []
        while len("".join(parts).encode("utf-8")) < 1024:
            parts.append(rng.choice(pool))
            if with_pii and rng.random() < 0.2:
                parts.append(rng.choice(SAMPLE_PII))
        out.append("".join(parts).encode("utf-8")[:1024].decode("utf-8", "ignore"))
    return out


def mean_us(fn: object, msgs: list[str], rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for m in msgs:
            fn(m)  # type: ignore[operator]
        best = min(best, time.perf_counter() - t0)
    return best / len(msgs) * 1e6


def main() -> None:
    rng = random.Random(42)
    pool = sentences()
    detector = PIIDetector()
    floor = re.compile(r"[0-9]{4}")
    for label, with_pii in (("ordinary", False), ("with PII", True)):
        msgs = messages(pool, 3000, with_pii, rng)
        found = sum(bool(detector.detect(m)) for m in msgs)
        pii = mean_us(detector.detect, msgs)
        base = mean_us(lambda m: list(floor.finditer(m)), msgs)
        print(f"{label:9s} 1 KB messages: PII stage {pii:6.1f} µs/msg ({1e6 / pii:8,.0f} msg/s/core), "
              f"{found}/{len(msgs)} with a finding | baseline one-regex scan {base:5.1f} µs/msg")


if __name__ == "__main__":
    main()
