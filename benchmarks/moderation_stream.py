"""Cost of checking generated text as a stream vs. checking the finished text once.

Figure: CPU time to stream-check a ~20,000-character answer fed in small chunks (default policy,
seed library + PII), and the time-to-release lag in characters. Baseline, same run: one
``Moderator.check`` of the whole text.

    .venv/bin/python benchmarks/moderation_stream.py [--chars 20000]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from hegui.core.settings import load_settings
from hegui.moderation.engine import DEFAULT_CHECK_EVERY, build_moderator

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "chinese-safetyqa"


def answer_text(chars: int) -> str:
    source = DATA / "chinese_safetyqa.jsonl"
    if source.is_file():
        rows = [json.loads(line) for line in source.open(encoding="utf-8") if line.strip()]
        parts = [f"{r['question']}答：{r['standard_answer']}。" for r in rows]
    else:  # no development data here: ordinary synthetic prose
        prose = "今天我们讨论历史、文化和科学中的一些常见问题，并给出简单的回答。"
        parts = [f"第{i}段：{prose}" for i in range(2000)]
    text = "".join(parts)
    while len(text) < chars:
        text += text
    return text[:chars]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chars", type=int, default=20_000)
    args = parser.parse_args()
    moderator = build_moderator(load_settings())
    text = answer_text(args.chars)
    moderator.check(text[:1000], "output")  # warm caches (pinyin tables, matcher scratch)

    start = time.perf_counter()
    whole = moderator.check(text, "output")
    baseline = time.perf_counter() - start
    print(f"baseline: one check of {len(text):,} chars: {baseline * 1000:.1f} ms ({whole.action.value})")

    for chunk in (4, 16):
        stream = moderator.stream("output")
        lags = []
        start = time.perf_counter()
        fed = released = 0
        for i in range(0, len(text), chunk):
            released += len(stream.feed(text[i:i + chunk]))
            fed = min(len(text), i + chunk)
            lags.append(fed - released)
        released += len(stream.finish())
        elapsed = time.perf_counter() - start
        assert released == len(text) and stream.verdict.action is whole.action
        lags.sort()
        print(f"stream, {chunk}-char chunks (check_every={DEFAULT_CHECK_EVERY}): {elapsed * 1000:.0f} ms "
              f"= {elapsed / baseline:.1f}x baseline, {elapsed / (len(text) / chunk) * 1e6:.0f} us/chunk; "
              f"held back: median {lags[len(lags) // 2]} chars, max {lags[-1]}")


if __name__ == "__main__":
    main()
