"""The seed keyword library shipped with hegui: it loads, covers the 17 A1 + A2 risks with specific
terms, and stays quiet on benign text (precision first: ≤ 1 % false-hit rate on COLD non-offensive
texts and on Chinese SafetyQA questions, measured with the real KeywordDetector)."""

from __future__ import annotations

import csv
import json
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from hegui.core.risks import KEYWORD_RISK_IDS
from hegui.moderation.lexicon import load_lexicon, seed_lexicon_path
from hegui.moderation.lexicon.model import Lexicon, MatchMode, Transform

# TC260-003 minima per risk (REGULATIONS.md §3); the seed meets them without imported lists.
MIN_PER_A1_RISK = 200
MIN_PER_A2_RISK = 100
MAX_FALSE_HIT_RATE = 0.01
# Single characters are allowed only when the character itself has no ordinary sense.
SINGLE_CHAR_TERMS = {"屄", "肏"}


@pytest.fixture(scope="module")
def seed() -> Lexicon:
    return load_lexicon(seed_lexicon_path())


@pytest.fixture(scope="module")
def detector(seed: Lexicon) -> Any:
    keyword = pytest.importorskip("hegui.moderation.keyword", reason="KeywordDetector not available")
    return keyword.KeywordDetector([seed])


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in folded if unicodedata.category(c)[0] in "LN")


def test_seed_is_named_versioned_and_logged(seed: Lexicon) -> None:
    assert seed.name == "hegui-seed"
    assert seed.version.count(".") == 3 and seed.version.replace(".", "").isdigit()
    assert seed.changelog and seed.changelog[-1].version == seed.version
    assert seed.changelog[-1].added > 0


def test_seed_covers_every_a1_a2_risk_with_the_tc260_minimum(seed: Lexicon) -> None:
    counts = Counter(t.risk for t in seed.terms)
    assert set(counts) == set(KEYWORD_RISK_IDS), "the seed covers exactly the 17 A1 + A2 risks"
    short = {risk: n for risk, n in counts.items()
             if n < (MIN_PER_A1_RISK if risk.startswith("A1.") else MIN_PER_A2_RISK)}
    assert not short, f"risks below the TC260 per-risk minimum: {short}"


def test_terms_are_specific_unique_and_well_formed(seed: Lexicon) -> None:
    seen: dict[str, str] = {}
    for term in seed.terms:
        key = _key(term.text)
        assert key not in seen, f"{term.text!r} duplicates {seen[key]!r}"
        seen[key] = term.text
        assert 0 < term.weight <= 1, term
        if len(key) == 1:
            assert term.text in SINGLE_CHAR_TERMS, f"single-character term {term.text!r}"
        if key.isascii():
            assert term.mode is MatchMode.WORD, f"Latin term {term.text!r} must be word-bounded"
        if len(key) <= 3 and not key.isascii():
            # homophones of short terms are ordinary words (搞基的 ~ 高级的)
            assert Transform.HOMOPHONES not in term.transforms, f"{term.text!r} keeps homophones"


def test_context_rules_and_allow_phrases_refer_to_the_library(seed: Lexicon) -> None:
    texts = {t.text for t in seed.terms}
    assert seed.context, "the seed tames crime names and quoted rumours with context rules"
    orphans = [rule.term for rule in seed.context if rule.term not in texts]
    assert not orphans, f"context rules for terms not in the seed: {orphans[:10]}"
    assert all(rule.exclude_any or rule.require_any for rule in seed.context)
    assert "伊斯兰国家" in seed.allow


def test_seed_terms_fire_in_a_plain_sentence(seed: Lexicon, detector: Any) -> None:
    """Every term without a context rule is found, at its place, when written in an ordinary sentence.
    Sentences are checked 100 to a text (one detect call each) to keep the test fast."""
    ruled = {rule.term for rule in seed.context}
    terms = [t for t in seed.terms if t.text not in ruled]
    missed = []
    for first in range(0, len(terms), 100):
        text, places = "", []
        for term in terms[first:first + 100]:
            sentence = f"他在群里发了一句：{term.text}。大家都看到了。"
            places.append((term, len(text), len(text) + len(sentence)))
            text += sentence
        found = [(f.meta.get("term"), f.risk, f.span) for f in detector.detect(text)]
        for term, start, end in places:
            if not any(t == term.text and r == term.risk and start <= a and b <= end
                       for t, r, (a, b) in found):
                missed.append(term.text)
    assert not missed, f"terms not found in a plain sentence: {missed[:20]}"


# Dictionary words that are themselves seed terms (vulgar or derogatory words the dictionary lists).
DICTIONARY_WORDS_IN_SEED = {"一夜情", "毛片", "老处女", "骚货", "臭老九", "乡巴佬", "老而不死是为贼"}


def test_no_term_fires_inside_ordinary_dictionary_phrases(detector: Any) -> None:
    """The ~47k phrases of pypinyin's dictionary are ordinary vocabulary: no seed term may fire in them
    (directly or through a homophone), except the few listed words that are themselves seed terms."""
    from pypinyin.phrases_dict import phrases_dict

    phrases = sorted(phrases_dict)
    assert len(phrases) > 10_000
    fired: dict[str, str] = {}
    for first in range(0, len(phrases), 500):
        # "0" keeps phrases apart: separators are ignored by the matcher, digits are not.
        for f in detector.detect("0".join(phrases[first:first + 500])):
            fired.setdefault(str(f.meta.get("term")), f.evidence)
    unexpected = {t: ev for t, ev in fired.items() if t not in DICTIONARY_WORDS_IN_SEED}
    assert not unexpected, f"seed terms firing inside dictionary phrases: {unexpected}"


def test_context_rule_silences_a_crime_name_in_legal_text(detector: Any) -> None:
    legal = "根据刑法，煽动颠覆国家政权罪的最高刑罚是多少年？"
    call = "兄弟们，我们一起颠覆国家政权！"
    assert not [f for f in detector.detect(legal) if f.risk == "A1.1"]
    assert [f for f in detector.detect(call) if f.risk == "A1.1"]


# ------------------------------------------------------------------ benign text (../shared/data)

def _cold_label0(data: Path) -> list[str]:
    texts: list[str] = []
    for name in ("train.csv", "dev.csv"):
        with (data / "cold" / name).open(encoding="utf-8-sig", newline="") as fh:
            texts.extend(row["TEXT"] for row in csv.DictReader(fh) if row["label"].strip() == "0")
    return texts


def _safetyqa_questions(data: Path) -> list[str]:
    with (data / "chinese-safetyqa" / "chinese_safetyqa.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line)["question"] for line in fh if line.strip()]


def _false_hit_rate(detector: Any, texts: list[str]) -> tuple[float, list[str]]:
    hit = [t for t in texts if detector.detect(t)]
    return len(hit) / len(texts), hit


@pytest.mark.parametrize("benign_set", ["cold_label0", "safetyqa_questions"])
def test_false_hit_rate_on_benign_text(benign_set: str, shared_data: Path, detector: Any) -> None:
    texts = _cold_label0(shared_data) if benign_set == "cold_label0" else _safetyqa_questions(shared_data)
    assert len(texts) > 1000, f"{benign_set}: expected the full set, got {len(texts)} texts"
    rate, hit = _false_hit_rate(detector, texts)
    assert rate <= MAX_FALSE_HIT_RATE, (
        f"{benign_set}: seed fires on {len(hit)}/{len(texts)} = {rate:.2%} benign texts, e.g. {hit[:5]}")
