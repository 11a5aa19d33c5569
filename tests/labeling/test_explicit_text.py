"""Explicit text labels: wording rule (AI element + generation element), positions, templates, detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from hegui.core.errors import LabelError
from hegui.labeling.explicit import (
    PLATFORM_WORDING,
    TEMPLATES,
    add_text_label,
    detect_text_label,
    validate_wording,
    wording_problem,
)
from hegui.labeling.explicit.documents import label_text_file


@pytest.mark.parametrize("wording", ["AI生成", "人工智能生成合成", "本内容由人工智能生成", "AI合成",
                                     "由 AI 生成", *TEMPLATES.values(), *PLATFORM_WORDING.values()])
def test_acceptable_wordings(wording: str) -> None:
    assert wording_problem(wording) is None


@pytest.mark.parametrize(("wording", "missing"), [
    ("AI", "generation element"),
    ("人工智能", "generation element"),
    ("AI-generated content", "generation element"),  # English-only: the rule names 生成/合成
    ("本内容由模型生成", "AI element"),
    ("MAIL生成", "AI element"),                         # "AI" inside a Latin word does not count
    ("", "empty"),
])
def test_rejected_wordings(wording: str, missing: str) -> None:
    problem = wording_problem(wording)
    assert problem is not None and missing in problem
    with pytest.raises(LabelError):
        validate_wording(wording)


def test_prefix_suffix_both_and_idempotence() -> None:
    body = "今天天气很好。\n"
    pre = add_text_label(body, position="prefix")
    assert pre.startswith("【本内容由人工智能生成】\n\n") and pre.endswith(body)
    suf = add_text_label(body, position="suffix", language="en")
    assert suf.startswith(body) and suf.rstrip("\n").endswith("【AI生成 | AI-generated content】")
    both = add_text_label(body, position="both")
    assert both.count("本内容由人工智能生成") == 2
    assert add_text_label(both, position="both") == both


def test_custom_wording_is_validated() -> None:
    with pytest.raises(LabelError, match="generation element"):
        add_text_label("x", wording="AI")
    assert add_text_label("x", wording="人工智能合成").startswith("【人工智能合成】")


def test_markdown_note_and_unknown_language() -> None:
    out = add_text_label("# Title\n", markdown=True)
    assert out.splitlines()[0] == "> **本内容由人工智能生成**"
    with pytest.raises(LabelError, match="template"):
        add_text_label("x", language="fr")


def test_detect_text_label() -> None:
    assert detect_text_label(add_text_label("你好")) == "人工智能生成"
    assert detect_text_label("正文……\n\n（本文由AI生成，仅供参考）") == "AI生成"
    assert detect_text_label(add_text_label("x", language="en")) == "AI生成"
    assert detect_text_label("可能为AI生成的图片") == "AI生成的图片"
    # The two elements in different sentences are not a label.
    assert detect_text_label("我们讨论人工智能的发展。生成式模型很多。") is None
    assert detect_text_label("普通的文章，没有任何标识。AI is mentioned.") is None
    assert detect_text_label("MAIL合成") is None


def test_markdown_file_keeps_front_matter_first(tmp_path: Path) -> None:
    src = tmp_path / "a.md"
    src.write_text("---\ntitle: x\n---\n# Hello\n", encoding="utf-8")
    dst = tmp_path / "b.md"
    label_text_file(src, dst, "AI生成")
    text = dst.read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: x\n---\n> **AI生成**\n\n# Hello\n")
