"""build_moderator(settings): the default policy with the real keyword and PII detectors."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from hegui.core.errors import LexiconError, PayloadTooLargeError, PolicyError
from hegui.core.settings import load_settings
from hegui.core.types import Action, Direction
from hegui.moderation.engine import Moderator, build_moderator
from hegui.moderation.lexicon import load_lexicon, seed_lexicon_path

LIBRARY = ("term\trisk\tweight\n"
           "moonbomb\tA1.4\t1.0\n月亮炸弹\tA1.4\t1.0\n弱词甲\tA1.8\t0.6\n弱词乙\tA1.8\t0.6\n")


@pytest.fixture(scope="module")
def extra_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lex") / "extra.tsv"
    path.write_text(LIBRARY, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def seeded(extra_library: Path) -> Moderator:
    return build_moderator(load_settings(lexicon_paths=[extra_library]))


def test_default_build_records_policy_and_library_versions(seeded: Moderator) -> None:
    verdict = seeded.check("今天天气不错，我们去公园散步。")
    assert verdict.action is Action.PASS
    assert verdict.policy_version.startswith("hegui-default-")
    seed = load_lexicon(seed_lexicon_path())
    assert f"{seed.name}@{seed.version}" in verdict.detector_versions["keyword"]
    assert "extra@" in verdict.detector_versions["keyword"]
    assert set(verdict.detector_versions) == {"keyword", "pii", "classifier", "semantic"}
    assert verdict.detector_versions["classifier"].startswith("hegui-fast-")


def test_seed_library_strongest_terms_refuse_input_and_block_output(seeded: Moderator) -> None:
    seed = load_lexicon(seed_lexicon_path())
    strong = [t.text for t in seed.terms if t.weight >= 0.95 and t.risk.startswith("A1")
              and t.mode.value == "substring"]
    assert strong, "the seed library should have strong A1 terms"
    for term in random.Random(7).sample(strong, min(5, len(strong))):
        assert seeded.check(f"请告诉我{term}的事").action is Action.REFUSE, term
        assert seeded.check(f"好的：{term}。", Direction.OUTPUT).action is Action.BLOCK, term


def test_extra_library_terms_and_weak_evidence(seeded: Moderator) -> None:
    verdict = seeded.check("这是 月-亮-炸-弹 的做法")
    assert verdict.action is Action.REFUSE and verdict.message and "抱歉" in verdict.message
    assert seeded.check("I love MOONBOMB", Direction.OUTPUT).message == (
        "Sorry, the generated answer did not pass the safety review and was stopped. "
        "Please try another question.")
    # What keyword evidence alone decides (the classifiers judge these made-up words on their own).
    def by_keywords(text: str) -> Action:
        findings = [f for f in seeded.check(text).findings if f.detector == "keyword"]
        return seeded.policy.decide(findings, Direction.INPUT).action

    assert by_keywords("弱词甲出现一次") is Action.LABEL
    assert by_keywords("弱词甲和弱词乙都出现") is Action.LABEL  # 0.84 < 0.85
    assert seeded.check("身份证11010519491231002X").action is Action.REWRITE


def test_stream_with_real_keyword_detector_never_leaks_a_term(seeded: Moderator) -> None:
    text = "这是一段正常的回答，" * 6 + "月 亮 . 炸 弹" + "，后面还有内容。" * 6
    rng = random.Random(3)
    for _ in range(20):
        stream = seeded.stream(Direction.OUTPUT)
        emitted, i = "", 0
        while i < len(text):
            step = rng.randint(1, 6)
            emitted += stream.feed(text[i:i + step])
            i += step
        emitted += stream.finish()
        assert stream.stopped and "月" not in stream.released_text
        assert emitted.endswith("已停止输出。请换个问题再试。")


def test_without_seed_or_libraries_no_keyword_fires(tmp_path: Path) -> None:
    bare = build_moderator(load_settings(use_seed_lexicon=False))
    assert not [f for f in bare.check("月亮炸弹").findings if f.detector == "keyword"]
    assert bare.check("电话 13812345678").action is Action.REWRITE


def test_settings_limits_and_bad_libraries(tmp_path: Path) -> None:
    small = build_moderator(load_settings(use_seed_lexicon=False, max_text_chars=100))
    with pytest.raises(PayloadTooLargeError, match="limit of 100"):
        small.check("字" * 101)
    broken = tmp_path / "broken.tsv"
    broken.write_text("term\trisk\n词\tA9.9\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"A9\.9"):
        build_moderator(load_settings(use_seed_lexicon=False, lexicon_paths=[broken]))
    with pytest.raises(LexiconError):
        build_moderator(load_settings(use_seed_lexicon=False, lexicon_paths=[tmp_path / "missing"]))
    policy = tmp_path / "p.toml"
    policy.write_text('version = "x"\n[detectors.keyword.options]\ncolour = "red"\n'
                      '[templates.refuse]\nzh = "不"\nen = "no"\n[templates.block]\nzh = "停"\nen = "stop"\n',
                      encoding="utf-8")
    with pytest.raises(PolicyError, match=r"line 2: detectors.keyword.options: .*colour"):
        build_moderator(load_settings(use_seed_lexicon=False, policy_path=policy))


def test_default_policy_rarely_stops_benign_text(seeded: Moderator, shared_data: Path) -> None:
    """Must-not-refuse material: keyword evidence (seed library) stops ≤ 1 % of it; with the
    classifiers, the default policy stops ≤ 5 % of the sensitive-but-answerable questions (issue 3's
    target; COLD's benign comments about social groups are labelled often but that is not asserted)."""
    import csv
    import json

    with (shared_data / "chinese-safetyqa" / "chinese_safetyqa.jsonl").open(encoding="utf-8") as fh:
        questions = [json.loads(line)["question"] for line in fh if line.strip()]
    with (shared_data / "cold" / "dev.csv").open(encoding="utf-8-sig", newline="") as fh:
        benign = [row["TEXT"] for row in csv.DictReader(fh) if row["label"] == "0"]
    for name, texts in (("Chinese SafetyQA", questions), ("COLD non-offensive dev", benign)):
        assert len(texts) > 1000
        verdicts = seeded.check_batch(texts)
        by_keywords = [t for t, v in zip(texts, verdicts, strict=True)
                       if any(f.detector == "keyword" and f.score >= 0.85 for f in v.findings)]
        assert len(by_keywords) <= 0.01 * len(texts), (name, by_keywords[:10])
        if name == "Chinese SafetyQA":
            stopped = [t for t, v in zip(texts, verdicts, strict=True)
                       if v.action in (Action.REFUSE, Action.BLOCK)]
            assert len(stopped) <= 0.05 * len(texts), (name, stopped[:10])
