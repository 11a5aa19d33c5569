"""The training and evaluation data sets: where each lives in the data folder, how its rows become
(text, labels) examples, its licence, and which split a row falls into.

Splits are decided by a keyed hash of each row's *group* (the text, or the seed question a JailBench
variant wraps), so they are stable across runs and machines and a group never straddles two splits.
Whole sources are held out from training to measure transfer: MultiJail, XSTest and CBBQ are never
trained on (CBBQ's licence allows test use only).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hegui.core.errors import InputError
from hegui.moderation.classify.labels import LABEL_NAMES


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    labels: frozenset[str]
    source: str
    group: str = ""
    meta: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class SourceInfo:
    name: str
    path: str            # relative to the data folder
    licence: str
    may_ship: bool
    role: str            # train | heldout | test-only


SOURCES: dict[str, SourceInfo] = {s.name: s for s in (
    SourceInfo("cold", "cold", "Apache-2.0", True, "train (train.csv); dev.csv is the in-domain test"),
    SourceInfo("swsr", "swsr", "MIT", True, "train"),
    SourceInfo("jade", "jade", "MIT", True, "train (80 %) / test (20 %)"),
    SourceInfo("jailbench", "jailbench", "MIT", True, "train (80 % of seeds) / test (20 %)"),
    SourceInfo("safetyqa", "chinese-safetyqa", "MIT", True, "train (70 %) / test (30 %)"),
    SourceInfo("multijail", "multijail", "MIT", True, "held out: never trained on"),
    SourceInfo("xstest", "xstest", "CC BY 4.0", True, "held out: never trained on"),
    SourceInfo("cbbq", "cbbq", "CC BY-SA 4.0", False, "test only (licence): never trained on"),
    SourceInfo("corpus", "training/corpus", "Apache-2.0 (written by the project)", True,
               "train (85 %) / calibration (15 %)"),
)}


def bucket(group: str, salt: str = "hegui-split-v1") -> float:
    """A stable number in [0, 1) for a group (the same on every machine)."""
    digest = hashlib.blake2b(f"{salt}\0{group}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0 ** 64


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))
    except FileNotFoundError:
        raise InputError(f"data set file missing: {path}") from None


# ---------------------------------------------------------------- label mappings

_GROUP_OF_TOPIC = {"race": "disc_ethnic", "region": "disc_region", "gender": "disc_gender"}


def _discrimination(subtype: str) -> frozenset[str]:
    labels = {"discrimination"}
    if "地域" in subtype:
        labels.add("disc_region")
    elif "性别" in subtype:
        labels.add("disc_gender")
    elif any(k in subtype for k in ("民族", "种族", "肤色", "国别")):
        labels.add("disc_ethnic")
    return frozenset(labels)


def harm_labels(subtype: str) -> frozenset[str]:
    """JADE / JailBench sub-type names (TC260-like) → our labels."""
    s = subtype.strip()
    if "歧视" in s:
        return _discrimination(s)
    if "恐怖" in s or "极端" in s:
        return frozenset({"terror"})
    if "国家" in s:
        return frozenset({"political"})
    if "淫秽" in s or "色情" in s:
        return frozenset({"porn", "violence"} if "暴力" in s else {"porn"})
    if "虚假" in s or s in ("科学", "历史"):
        return frozenset({"false_info"})
    if "隐私" in s or "个人信息" in s or "肖像" in s or "私人信息" in s:
        return frozenset({"privacy"} | ({"insult"} if "名誉" in s else set()))
    if "名誉" in s or "荣誉" in s:
        return frozenset({"insult"})
    if "身心健康" in s:
        return frozenset({"self_harm"})
    if any(k in s for k in ("伤害", "暴力", "抢劫", "虐待")):
        return frozenset({"violence"} | ({"illegal"} if "贩卖" in s else set()))
    return frozenset({"illegal"})


# ---------------------------------------------------------------- loaders

def cold(data: Path, split: str) -> Iterator[Example]:
    for row in _rows(data / "cold" / f"{split}.csv"):
        text = row["TEXT"].strip()
        if not text:
            continue
        labels = (frozenset({"discrimination", _GROUP_OF_TOPIC[row["topic"]]})
                  if row["label"] == "1" else frozenset())
        yield Example(text, labels, "cold", text, {"topic": row["topic"]})


def swsr(data: Path) -> Iterator[Example]:
    for row in _rows(data / "swsr" / "SexComment.csv"):
        text = row["comment_text"].strip()
        if text:
            labels = frozenset({"discrimination", "disc_gender"}) if row["label"] == "1" else frozenset()
            yield Example(text, labels, "swsr", text)


def jade(data: Path) -> Iterator[Example]:
    for name in ("jade_benchmark_zh.csv", "jade_benchmark_easy_zh.csv", "jade_benchmark_medium_zh.csv"):
        for row in _rows(data / "jade" / name):
            text = (row.get("问题") or "").strip()
            subtype = (row.get("违规子类") or "").strip()
            if text and subtype:
                labels: frozenset[str] = frozenset().union(*(harm_labels(s) for s in subtype.split("|")))
                yield Example(text, labels, "jade", text, {"subtype": subtype})


def jailbench(data: Path) -> Iterator[Example]:
    """Seed questions and their jailbreak-wrapped variants; a variant's group is its seed."""
    seeds = [(row["question_zh"].strip(), row["二级领域"].strip())
             for row in _rows(data / "jailbench" / "JailBench_seed.csv")]
    for question, subtype in seeds:
        yield Example(question, harm_labels(subtype), "jailbench", question, {"kind": "seed"})
    for row in _rows(data / "jailbench" / "JailBench.csv"):
        query = row["query"].strip()
        seed = next((q for q, _ in seeds if q in query), query)
        yield Example(query, harm_labels(row["二级领域"]), "jailbench", seed, {"kind": "wrapped"})


def safetyqa(data: Path) -> Iterator[Example]:
    for row in _rows(data / "chinese-safetyqa" / "chinese_safetyqa.csv"):
        text = row["question"].strip()
        if text:
            yield Example(text, frozenset(), "safetyqa", text, {"cate": row["cate"]})


def multijail(data: Path, language: str = "zh") -> Iterator[Example]:
    for row in _rows(data / "multijail" / "MultiJail.csv"):
        text = row[language].strip()
        if text:  # every MultiJail prompt is harmful; the tags are English hazard names
            yield Example(text, frozenset({"harmful"}), "multijail", row["id"], {"tags": row["tags"]})


def xstest(data: Path) -> Iterator[Example]:
    for row in _rows(data / "xstest" / "xstest_prompts.csv"):
        harmful = row["label"].strip() == "unsafe"
        yield Example(row["prompt"].strip(), frozenset({"harmful"}) if harmful else frozenset(),
                      "xstest", row["id"], {"type": row["type"]})


def cbbq_questions(data: Path, limit: int = 1000) -> list[Example]:
    """Benign questions about social groups (context + question of CBBQ items), a stable sample."""
    seen: dict[str, Example] = {}
    for path in sorted((data / "cbbq" / "data").glob("*/*/*.json")):
        try:
            items = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, json.JSONDecodeError):
            continue
        for item in items if isinstance(items, list) else []:
            text = f"{item.get('context', '')}{item.get('question', '')}".strip()
            if text and text not in seen:
                seen[text] = Example(text, frozenset(), "cbbq", text, {"category": item.get("category", "")})
    ranked = sorted(seen.values(), key=lambda e: bucket(e.group, "cbbq-sample"))
    return ranked[:limit]


def corpus(directory: Path) -> Iterator[Example]:
    """Our own written data: ``<label>--<topic>.txt``, one example per line, ``#`` comments."""
    for path in sorted(directory.glob("*--*.txt")):
        label, topic = path.stem.split("--", 1)
        if label != "benign" and label not in LABEL_NAMES:
            raise InputError(f"{path}: unknown label {label!r} in the file name "
                             f"(known: benign, {', '.join(LABEL_NAMES)})")
        labels = frozenset() if label == "benign" else frozenset({label})
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if text and not text.startswith("#"):
                yield Example(text, labels, "corpus", text, {"topic": f"{label}--{topic}"})


def source_files(data: Path, corpus_dir: Path) -> list[Path]:
    """Every file training reads (recorded with its SHA-256 in the model card)."""
    files = [data / "cold" / "train.csv", data / "swsr" / "SexComment.csv",
             *(data / "jade" / n for n in ("jade_benchmark_zh.csv", "jade_benchmark_easy_zh.csv",
                                           "jade_benchmark_medium_zh.csv")),
             data / "jailbench" / "JailBench_seed.csv", data / "jailbench" / "JailBench.csv",
             data / "chinese-safetyqa" / "chinese_safetyqa.csv"]
    return files + sorted(corpus_dir.glob("*--*.txt"))
