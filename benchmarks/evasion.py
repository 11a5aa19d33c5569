"""How much of each evasion the keyword detector still catches, and how often the seed library fires
on benign text.

Prints, per transformation: the share of disguised terms (embedded in ordinary sentences) that the
KeywordDetector still finds — target 100 % for every transformation switched on — and, as the
baseline measured in the same run, the share plain substring matching (no normalization) finds.
Then the false-hit rate of the seed library on benign text: COLD non-offensive texts (label 0,
../shared/data/cold/{train,dev}.csv) and Chinese SafetyQA questions (target ≤ 1 % each).

    .venv/bin/python benchmarks/evasion.py [--terms 50] [--seed 0]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

from hegui.moderation.keyword import KeywordDetector
from hegui.moderation.lexicon import ALL_TRANSFORMS, Lexicon, Term, load_lexicon, seed_lexicon_path
from hegui.moderation.normalize.chars import t2s_char
from hegui.moderation.normalize.sound import char_sound, pinyin_table, readings
from hegui.moderation.normalize.split_forms import SPLITS

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
SENTENCES = ["我听说{}这件事了。", "网友在群里讨论{}，大家都很惊讶", "{}", "请问关于{}你怎么看？",
             "昨天新闻里提到了{}的情况"]
# Used when no seed library is installed: multi-character CJK terms of the kind a library holds.
FALLBACK_TERMS = [
    "法轮功", "冰毒出售", "网上赌场", "代办假证", "枪支出售", "洗钱通道", "制作炸弹", "圣战招募", "分裂国家",
    "推翻政府", "武装暴动", "一夜情", "六四事件", "三级片", "九评共产党", "迷奸药", "海洛因", "摇头丸",
    "裸聊", "援交", "赌博网站", "六合彩", "代开发票", "信用卡套现", "高利贷", "人体器官买卖", "假币出售",
    "办理假证", "黑客攻击", "翻墙软件", "邪教组织", "恐怖袭击", "人肉搜索", "私家侦探", "窃听器",
    "电击枪", "仿真枪", "气枪出售", "管制刀具", "跳楼自杀", "传销组织", "非法集资", "色情网站", "包夜服务",
    "张三丰", "李宏志", "轮子功", "台独分子", "藏独组织", "疆独势力",
]
# Few library terms hold numerals; these are added for the numerals row only.
NUMERAL_TERMS = ["一夜情", "六四事件", "三级片", "九评共产党", "一本道", "三唑仑", "五毛党", "二奶"]


def is_cjk_term(text: str) -> bool:
    return len(text) >= 2 and all("\u4e00" <= c <= "\u9fff" for c in text)


def homophone_table() -> dict[str, str]:
    """sound → one common simplified character with that sound (deterministic)."""
    by_sound: dict[str, str] = {}
    for cp, syllable in sorted(pinyin_table().items()):
        ch = chr(cp)
        if 0x4E00 <= cp <= 0x9FA5 and t2s_char(ch) == ch and syllable not in by_sound:
            by_sound[syllable] = ch
    return by_sound


def evasions(homophones: dict[str, str], rng: random.Random) -> dict[str, Callable[[str], str | None]]:
    """transformation name → function writing a term in that disguise (None: not applicable)."""
    import opencc

    s2t = opencc.OpenCC("s2t")
    zero_width = ["\u200b", "\u200c", "\u200d", "\ufeff"]
    seps = [" ", "*", "·", "😀", "-", "…", "🔥", "|"]
    fullwidth = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}
    cyrillic = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}
    numerals = {"一": "壹", "二": "贰", "三": "叁", "四": "肆", "五": "伍", "六": "陆", "七": "柒",
                "八": "捌", "九": "玖", "零": "〇"}

    def homophone(t: str) -> str | None:
        out = "".join(homophones.get(char_sound(c), c) if homophones.get(char_sound(c)) != c else c
                      for c in t)
        if out == t:  # every character is already the most common of its sound: swap one
            return None
        return out

    def traditional(t: str) -> str | None:
        out: str = s2t.convert(t)
        return out if out != t else None

    def split(t: str) -> str | None:
        if not any(c in SPLITS for c in t):
            return None
        return "".join(SPLITS[c][0] if c in SPLITS else c for c in t)

    def numeral(t: str) -> str | None:
        if not any(c in numerals for c in t):
            return None
        return "".join(numerals.get(c, c) for c in t)

    def pinyin(t: str) -> str:
        return " ".join(char_sound(c) for c in t)

    def other_reading(t: str) -> str | None:
        if not any(len(readings(c)) > 1 for c in t):
            return None
        return " ".join(readings(c)[1] if len(readings(c)) > 1 else char_sound(c) for c in t)

    return {
        "homophones": homophone,
        "pinyin": pinyin,
        "pinyin, 2nd reading": other_reading,
        "initials": lambda t: "".join(char_sound(c)[0] for c in t).upper() if len(t) >= 3 else None,
        "separators": lambda t: "".join(c + rng.choice(seps) for c in t[:-1]) + t[-1],
        "t2s": traditional,
        "nfkc": lambda t: "".join(fullwidth.get(c, c) for c in pinyin(t)),
        "invisible": lambda t: "".join(c + rng.choice(zero_width) for c in t[:-1]) + t[-1],
        "strike-through": lambda t: "".join(c + "\u0336" for c in t),
        "numerals": numeral,
        "homoglyphs": lambda t: "".join(cyrillic.get(c, c) for c in pinyin(t)),
        "split": split,
    }


def sample_terms(n: int, rng: random.Random) -> tuple[list[Term], str]:
    try:
        lexicon = load_lexicon(seed_lexicon_path())
        pool = [t for t in lexicon.terms if is_cjk_term(t.text)]
        source = f"seed library {lexicon.name}@{lexicon.version} ({len(lexicon.terms)} terms)"
    except Exception as err:  # no seed library yet: the built-in list
        print(f"note: seed library not loadable ({err}); using the built-in term list", file=sys.stderr)
        pool, source = [], "built-in list"
    if len(pool) < n:
        pool = [Term(t, "A1.1") for t in FALLBACK_TERMS]
        source = "built-in list"
    return rng.sample(pool, min(n, len(pool))), source


def evasion_table(terms: list[Term], rng: random.Random) -> list[dict[str, object]]:
    # Every transformation switched on (initials and split are opt-in per term in a real library).
    everything = [dataclasses.replace(t, transforms=ALL_TRANSFORMS) for t in terms]
    detector = KeywordDetector([Lexicon("bench", "1", terms=everything)])
    rows = []
    extra = [Term(t, "A1.1", transforms=ALL_TRANSFORMS) for t in NUMERAL_TERMS]
    with_numerals = KeywordDetector([Lexicon("bench", "1", terms=everything + extra)])
    for name, disguise in evasions(homophone_table(), rng).items():
        caught = baseline = total = 0
        missed: list[str] = []
        cases = everything + extra if name == "numerals" else everything
        active = with_numerals if name == "numerals" else detector
        for term in cases:
            written = disguise(term.text)
            if written is None:
                continue
            sentence = rng.choice(SENTENCES).format(written)
            total += 1
            found = {f.meta["term"] for f in active.detect(sentence)}
            if term.text in found:
                caught += 1
            elif len(missed) < 3:
                missed.append(written)
            baseline += term.text in sentence
        rows.append({"transformation": name, "cases": total,
                     "caught": caught / total if total else None,
                     "baseline_substring": baseline / total if total else None, "missed_examples": missed})
    return rows


def benign_texts() -> dict[str, list[str]]:
    sets: dict[str, list[str]] = {}
    cold = [SHARED / "cold" / "train.csv", SHARED / "cold" / "dev.csv"]
    if all(p.is_file() for p in cold):
        texts = []
        for path in cold:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                texts += [row["TEXT"] for row in csv.DictReader(fh) if row["label"] == "0"]
        sets["COLD non-offensive"] = texts
    qa = SHARED / "chinese-safetyqa" / "chinese_safetyqa.jsonl"
    if qa.is_file():
        with qa.open(encoding="utf-8") as fh:
            sets["Chinese SafetyQA questions"] = [json.loads(line)["question"] for line in fh if line.strip()]
    return sets


def false_hits(texts: list[str], detector: KeywordDetector) -> tuple[float, dict[str, int]]:
    hit_terms: dict[str, int] = {}
    flagged = 0
    for text in texts:
        found = detector.detect(text)
        if found:
            flagged += 1
            for f in found:
                key = str(f.meta["term"])
                hit_terms[key] = hit_terms.get(key, 0) + 1
    return flagged / max(len(texts), 1), hit_terms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--terms", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    terms, source = sample_terms(args.terms, rng)
    print(f"evasion benchmark: {len(terms)} terms from the {source}, seed {args.seed}")
    print(f"{'transformation':<20}{'cases':>6}{'caught':>9}{'baseline':>10}  (baseline = plain substring)")
    for row in evasion_table(terms, rng):
        if row["caught"] is None:
            print(f"{row['transformation']:<20}{0:>6}{'n/a':>9}{'n/a':>10}  (no sampled term applies)")
            continue
        missed = f"  missed e.g. {row['missed_examples']}" if row["missed_examples"] else ""
        print(f"{row['transformation']:<20}{row['cases']:>6}{row['caught']:>9.1%}"
              f"{row['baseline_substring']:>10.1%}{missed}")
    sets = benign_texts()
    if not sets:
        print(f"\nfalse-hit rate: skipped — development data not found at {SHARED.resolve()}")
        return
    try:
        seed = load_lexicon(seed_lexicon_path())
    except Exception as err:
        print(f"\nfalse-hit rate: skipped — seed library not loadable: {err}")
        return
    started = time.perf_counter()
    detector = KeywordDetector([seed])
    print(f"\nfalse-hit rate of the seed library ({len(seed.terms)} terms; built in "
          f"{time.perf_counter() - started:.2f} s), target ≤ 1 %:")
    for name, texts in sets.items():
        rate, hit_terms = false_hits(texts, detector)
        top = sorted(hit_terms.items(), key=lambda kv: -kv[1])[:8]
        print(f"  {name:<28}{len(texts):>7} texts  {rate:7.2%} flagged   top terms: {top}")


if __name__ == "__main__":
    main()
