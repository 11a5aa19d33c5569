"""Measure how often the seed keyword library fires on benign text (precision first).

Benign sets (read from ../shared/data, never copied): COLD non-offensive texts (label 0 of
cold/train.csv + cold/dev.csv), the Chinese SafetyQA questions, SWSR non-sexist comments and CBBQ
contexts. A text counts as a false hit when any seed term fires on it, whatever its weight. Prints the
rate per set, the per-risk term counts and the terms that fire. Results: docs/seed-lexicon.md.

Two ways to match:
- ``--matcher detector`` (default when it imports): the real ``hegui.moderation.keyword.KeywordDetector``.
- ``--matcher approx``: a stand-in used while the detector did not exist — NFKC + casefold + OpenCC t2s +
  drop everything but letters/digits, substring search; plus a "sound" channel (each Han char → its
  most common toneless pinyin, Latin letters and digits kept) for terms with homophones/pinyin on,
  matched on character boundaries. Allow phrases and context rules are applied the same way.

Usage: .venv/bin/python scripts/measure_seed_precision.py [--matcher approx|detector] [--lib DIR]
       [--terms tuning|all|none] [--show N] [--recall]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from hegui.moderation.lexicon import Lexicon, load_lexicon, seed_lexicon_path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO_ROOT / ".." / "shared" / "data").resolve()
SEED_DIR = seed_lexicon_path()


def benign_sets(data: Path = SHARED_DATA, independent: bool = True) -> dict[str, list[str]]:
    """The benign texts, split into the part terms were tuned on and a held-out part.

    Tuning (terms were chosen and pruned by looking at these): COLD train label 0 + even-numbered
    SafetyQA questions. Held out: COLD dev label 0 + odd-numbered SafetyQA questions.
    """
    cold: dict[str, list[str]] = {}
    for name in ("train", "dev"):
        with (data / "cold" / f"{name}.csv").open(encoding="utf-8-sig", newline="") as fh:
            cold[name] = [row["TEXT"] for row in csv.DictReader(fh) if row["label"].strip() == "0"]
    with (data / "chinese-safetyqa" / "chinese_safetyqa.jsonl").open(encoding="utf-8") as fh:
        questions = [json.loads(line)["question"] for line in fh if line.strip()]
    sets = {
        "cold_label0_train (tuning)": cold["train"],
        "safetyqa_even (tuning)": questions[0::2],
        "cold_label0_dev (held out)": cold["dev"],
        "safetyqa_odd (held out)": questions[1::2],
    }
    if independent:
        sets.update(independent_sets(data))
    return sets


def independent_sets(data: Path = SHARED_DATA) -> dict[str, list[str]]:
    """Benign sets never used for choosing terms: SWSR non-sexist Weibo comments (label 0) and the
    distinct contexts of the CBBQ bias benchmark (neutral scenarios about groups)."""
    sets: dict[str, list[str]] = {}
    swsr = data / "swsr" / "SexComment.csv"
    if swsr.is_file():
        with swsr.open(encoding="utf-8-sig", newline="") as fh:
            sets["swsr_label0 (independent)"] = [
                row["comment_text"] for row in csv.DictReader(fh) if row["label"].strip() == "0"]
    contexts: set[str] = set()
    for path in sorted((data / "cbbq" / "data").glob("*/*/*.json")):
        contexts.update(item["context"] for item in json.loads(path.read_text(encoding="utf-8")))
    if contexts:
        sets["cbbq_contexts (independent)"] = sorted(contexts)
    return sets


def harmful_sets(data: Path = SHARED_DATA) -> dict[str, list[str]]:
    """Harmful texts, for context only (recall of a keyword list on questions is expected to be low):
    COLD offensive texts (label 1), JailBench seed questions, JADE zh questions, MultiJail zh prompts."""
    sets: dict[str, list[str]] = {}
    cold: list[str] = []
    for name in ("train.csv", "dev.csv"):
        with (data / "cold" / name).open(encoding="utf-8-sig", newline="") as fh:
            cold.extend(row["TEXT"] for row in csv.DictReader(fh) if row["label"].strip() == "1")
    sets["cold_label1"] = cold
    with (data / "jailbench" / "JailBench_seed.csv").open(encoding="utf-8-sig", newline="") as fh:
        sets["jailbench_seed"] = [row["question_zh"] for row in csv.DictReader(fh)]
    jade: list[str] = []
    for name in ("jade_benchmark_zh.csv", "jade_benchmark_easy_zh.csv", "jade_benchmark_medium_zh.csv"):
        with (data / "jade" / name).open(encoding="utf-8-sig", newline="") as fh:
            jade.extend(row["问题"] for row in csv.DictReader(fh))
    sets["jade_zh"] = jade
    with (data / "multijail" / "MultiJail.csv").open(encoding="utf-8-sig", newline="") as fh:
        sets["multijail_zh"] = [row["zh"] for row in csv.DictReader(fh)]
    return sets


# ---------------------------------------------------------------- approximate matcher (stand-in)

def _approx_matcher(lexicon: Lexicon) -> Callable[[str], list[tuple[str, str, str]]]:
    """Return ``text -> [(term, risk, evidence)]`` using the approximation described above."""
    import ahocorasick_rs
    import opencc
    from pypinyin.pinyin_dict import pinyin_dict

    t2s = opencc.OpenCC("t2s")

    def toneless(cp: int) -> str:
        reading = pinyin_dict[cp].split(",")[0]
        bare = "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c))
        return bare.replace("ü", "v")

    def compact(s: str) -> str:
        s = t2s.convert(unicodedata.normalize("NFKC", s).casefold())
        return "".join(c for c in s if unicodedata.category(c)[0] in "LN")

    def sound(c: str) -> tuple[str, list[int]]:
        """Sound form of a compact string, and the sound offset where each compact char starts."""
        parts, starts, pos = [], [], 0
        for ch in c:
            starts.append(pos)
            piece = toneless(ord(ch)) if ord(ch) in pinyin_dict else ch
            parts.append(piece)
            pos += len(piece)
        starts.append(pos)
        return "".join(parts), starts

    terms = list(lexicon.terms)
    # WORD-mode (Latin) terms: regex on the NFKC + casefolded original, Latin letters/digits must
    # not continue the term on either side.
    word_terms = [(t, re.compile(rf"(?<![a-z0-9]){re.escape(compact(t.text))}(?![a-z0-9])"))
                  for t in terms if t.mode == "word"]
    terms = [t for t in terms if t.mode != "word"]
    compact_forms = [compact(t.text) for t in terms]
    sound_idx = [i for i, t in enumerate(terms)
                 if {"homophones", "pinyin"} & {str(x) for x in t.transforms} and t.mode == "substring"]
    sound_forms = [sound(compact_forms[i])[0] for i in sound_idx]
    ac_compact = ahocorasick_rs.AhoCorasick(compact_forms)
    ac_sound = ahocorasick_rs.AhoCorasick(sound_forms) if sound_forms else None
    allow = [compact(a) for a in lexicon.allow]
    rules = {compact(r.term): r for r in lexicon.context}

    def allowed(text: str, start: int, end: int) -> bool:
        for phrase in allow:
            i = text.find(phrase, max(0, start - len(phrase)))
            while i != -1 and i <= start:
                if i + len(phrase) >= end:
                    return True
                i = text.find(phrase, i + 1)
        return False

    def context_ok(term_compact: str, text: str, start: int, end: int) -> bool:
        rule = rules.get(term_compact)
        if rule is None:
            return True
        around = text[max(0, start - rule.window): end + rule.window]
        if rule.require_any and not any(compact(w) in around for w in rule.require_any):
            return False
        return not any(compact(w) in around for w in rule.exclude_any)

    def match(text: str) -> list[tuple[str, str, str]]:
        c = compact(text)
        hits: dict[int, tuple[int, int]] = {}
        for idx, s, e in ac_compact.find_matches_as_indexes(c, overlapping=True):
            hits.setdefault(idx, (s, e))
        if ac_sound is not None:
            snd, starts = sound(c)
            char_at = {pos: i for i, pos in enumerate(starts)}
            for k, s, e in ac_sound.find_matches_as_indexes(snd, overlapping=True):
                if s in char_at and e in char_at:
                    i = sound_idx[k]
                    cs, ce = char_at[s], char_at[e]
                    via_pinyin_only = "homophones" not in {str(x) for x in terms[i].transforms}
                    if via_pinyin_only and not any("a" <= ch <= "z" for ch in c[cs:ce]):
                        continue
                    hits.setdefault(i, (cs, ce))
        out = []
        folded = unicodedata.normalize("NFKC", text).casefold()
        for term, pattern in word_terms:
            found = pattern.search(folded)
            if found:
                out.append((term.text, term.risk, found.group()))
        for i, (s, e) in hits.items():
            if allowed(c, s, e) or not context_ok(compact_forms[i], c, s, e):
                continue
            out.append((terms[i].text, terms[i].risk, c[s:e]))
        return out

    return match


def _detector_matcher(lexicon: Lexicon) -> Callable[[str], list[tuple[str, str, str]]]:
    from hegui.moderation.keyword import KeywordDetector

    detector = KeywordDetector([lexicon])

    def match(text: str) -> list[tuple[str, str, str]]:
        found = detector.detect(text)
        return [(str(f.meta.get("term", f.evidence)), f.risk, f.evidence) for f in found]

    return match


def build_matcher(lexicon: Lexicon, kind: str) -> Callable[[str], list[tuple[str, str, str]]]:
    return _detector_matcher(lexicon) if kind == "detector" else _approx_matcher(lexicon)


def false_hits(match: Callable[[str], list[tuple[str, str, str]]], texts: Iterable[str]
               ) -> tuple[int, int, dict[str, list[str]]]:
    """(texts hit, texts total, term -> texts it fired on)."""
    by_term: dict[str, list[str]] = defaultdict(list)
    hit = total = 0
    for text in texts:
        total += 1
        found = match(text)
        if found:
            hit += 1
            for term in {t for t, _risk, _evidence in found}:
                by_term[term].append(text)
    return hit, total, by_term


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lib", type=Path, default=SEED_DIR)
    ap.add_argument("--matcher", choices=("approx", "detector", "auto"), default="auto")
    ap.add_argument("--show", type=int, default=2)
    ap.add_argument("--recall", action="store_true",
                    help="also print the share of harmful texts with a hit (context, not a target)")
    ap.add_argument("--terms", choices=("tuning", "all", "none"), default="tuning",
                    help="list the firing terms of these sets (default: the tuning sets only)")
    args = ap.parse_args(argv)
    if not SHARED_DATA.is_dir():
        print(f"development data not found at {SHARED_DATA}; nothing to measure", file=sys.stderr)
        return 2
    lexicon = load_lexicon(args.lib)
    kind = args.matcher
    if kind == "auto":
        try:
            import hegui.moderation.keyword  # noqa: F401
            kind = "detector"
        except ImportError:
            kind = "approx"
    counts = Counter(t.risk for t in lexicon.terms)
    print(f"library {lexicon.name} {lexicon.version}: {len(lexicon.terms)} terms; matcher = {kind}")
    print("per risk: " + ", ".join(f"{r} {n}" for r, n in sorted(counts.items())))
    match = build_matcher(lexicon, kind)
    for name, texts in benign_sets().items():
        hit, total, by_term = false_hits(match, texts)
        print(f"{name}: {hit}/{total} texts hit = {100 * hit / total:.2f} %")
        if args.terms == "none" or (args.terms == "tuning" and "tuning" not in name):
            continue
        for term, hits in sorted(by_term.items(), key=lambda kv: -len(kv[1])):
            print(f"   {len(hits):4d}  {term}")
            for text in hits[: args.show]:
                print(f"          | {text[:120]}")
    if args.recall:
        for name, texts in harmful_sets().items():
            hit, total, by_risk = 0, len(texts), Counter[str]()
            for text in texts:
                found = match(text)
                hit += bool(found)
                by_risk.update({risk for _t, risk, _e in found})
            top = ", ".join(f"{r} {n}" for r, n in by_risk.most_common(5))
            print(f"{name} (harmful): {hit}/{total} texts hit = {100 * hit / total:.1f} %  [{top}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
