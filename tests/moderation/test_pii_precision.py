"""Precision on real benign text (../shared/data): COLD non-offensive posts and Chinese SafetyQA
questions and answers. Almost none of these texts contain personal identifiers; the few that do
(phone numbers and QQ e-mails in COLD's second-hand trading posts) are real ones."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from hegui.moderation.pii import PIIDetector

# What the detector finds in these sets today, all checked by hand: real identifiers, not noise.
KNOWN_REAL = {"13722348520", "767514612@qq.com", "18717126271", "565216265@qq.com", "17829914555",
              "13353392588", "1831690944@qq.com", "rtkdyx@126.com"}


def _benign_texts(shared_data: Path) -> list[str]:
    texts: list[str] = []
    for name in ("train.csv", "dev.csv"):
        with (shared_data / "cold" / name).open(encoding="utf-8-sig") as fh:
            texts += [row["TEXT"] for row in csv.DictReader(fh) if row["label"] == "0"]
    with (shared_data / "chinese-safetyqa" / "chinese_safetyqa.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts += [row["question"], row["standard_answer"]]
    return texts


def test_benign_texts_almost_never_have_a_pii_finding(shared_data: Path) -> None:
    texts = _benign_texts(shared_data)
    assert len(texts) > 15_000
    detector = PIIDetector()
    flagged = {f.evidence for text in texts for f in detector.detect(text)}
    unexpected = flagged - KNOWN_REAL
    # A new finding here is either a false positive to fix or a real identifier to add above.
    assert not unexpected, sorted(unexpected)[:20]
    assert len(flagged) / len(texts) < 0.001
