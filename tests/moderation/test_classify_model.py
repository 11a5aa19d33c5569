"""The classifier's building blocks: features that see through disguises, model files that refuse
to load when they do not match their card, and the training run that gives the same bytes twice."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hegui.core.errors import ModelError
from hegui.moderation.classify.features import span_features, text_features
from hegui.moderation.classify.labels import LABEL_NAMES
from hegui.moderation.classify.model import LinearModel, card_path, load_model, save_model
from hegui.testing.datasets import write_mini_data_folder


def _feature_set(text: str) -> set[int]:
    return set(text_features(text)[0].tolist())


def test_features_ignore_separators_script_and_width() -> None:
    plain = _feature_set("网上赌场开业了")
    assert _feature_set("网 上*赌_场·开业了") == plain
    assert _feature_set("網上賭場開業了") == plain
    assert _feature_set("网上赌场开业了\u200b") == plain


def test_pinyin_and_homophones_keep_the_sound_features() -> None:
    clean = _feature_set("河南人都是骗子")
    pinyin = _feature_set("河南ren都shi骗子")
    homophone = _feature_set("河南壬都事骗子")
    unrelated = _feature_set("今天我们去公园散步")
    assert len(clean & pinyin) > len(clean) // 3
    assert len(clean & homophone) > len(clean) // 3
    assert len(clean & unrelated) < len(clean & pinyin) // 3


def test_english_words_are_not_segmented_as_pinyin() -> None:
    # "hello" is not pinyin: the text's features are those of its letters alone.
    assert _feature_set("你好 hello") == _feature_set("你好hello")


def test_feature_vectors_are_unit_length_and_total() -> None:
    for text in ["", "   ", "a", "\ud800 lone surrogate", "🙂" * 50, "正常的句子。" * 500]:
        idx, vals = text_features(text)
        assert len(idx) == len(vals)
        assert np.all(np.diff(idx) > 0)
        if len(idx):
            assert abs(float(np.dot(vals, vals)) - 1.0) < 1e-4


def test_window_features_from_one_pass_equal_each_window_alone() -> None:
    # The classifier featurizes all windows of a text in one pass; each row must be exactly the
    # features of that window's text on its own (expansions, separators and emoji included).
    text = "第一句话很普通。第二句有㈱和⑩，还有 空 格！" + "网上赌场开业了，🙂快来玩；" * 12 + "最后一句。"
    spans = [(0, 8), (5, 40), (30, 120), (100, len(text)), (7, 7)]
    indptr, idx, vals = span_features(text, spans)
    assert len(indptr) == len(spans) + 1
    for row, (start, end) in enumerate(spans):
        alone_idx, alone_vals = text_features(text[start:end])
        assert np.array_equal(idx[indptr[row]:indptr[row + 1]], alone_idx)
        assert np.allclose(vals[indptr[row]:indptr[row + 1]], alone_vals, atol=1e-6)
    assert indptr[-1] - indptr[-2] == 0  # the empty window has no features


def _tiny_model(rows: int = 64) -> LinearModel:
    rng = np.random.default_rng(1)
    n = len(LABEL_NAMES)
    return LinearModel(LABEL_NAMES, rng.normal(size=(rows, n)).astype(np.float32), np.zeros(n, np.float32),
                       np.ones(n, np.float32), np.zeros(n, np.float32), np.full(n, 0.5, np.float32),
                       {"name": "tiny", "kind": "test", "features": "none"})


def test_model_round_trip_is_exact_and_deterministic(tmp_path: Path) -> None:
    first = save_model(tmp_path / "a.npz", _tiny_model())
    second = save_model(tmp_path / "b.npz", _tiny_model())
    assert first["sha256"] == second["sha256"]
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    loaded = load_model(tmp_path / "a.npz", expect_labels=LABEL_NAMES)
    assert loaded.version == first["version"]
    np.testing.assert_array_equal(loaded.weights, _tiny_model().weights.astype(np.float16).astype(np.float32))


def test_changed_weights_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    save_model(path, _tiny_model())
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(ModelError, match="does not match its model card"):
        load_model(path)


def test_card_of_another_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    save_model(path, _tiny_model())
    card = json.loads(card_path(path).read_text())
    card["labels"] = card["labels"][:-1]
    card_path(path).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="labels"):
        load_model(path, expect_labels=LABEL_NAMES)


def test_missing_and_corrupt_files_are_model_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="missing"):
        load_model(tmp_path / "absent.npz")
    path = tmp_path / "m.npz"
    save_model(path, _tiny_model())
    card_path(path).write_text("{not json")
    with pytest.raises(ModelError, match="cannot read"):
        load_model(path)
    # A valid checksum over a file that is not a model archive.
    path.write_bytes(b"not a zip at all")
    card_path(path).write_text(json.dumps({"sha256": hashlib.sha256(b"not a zip at all").hexdigest(),
                                           "labels": list(LABEL_NAMES)}))
    with pytest.raises(ModelError, match="corrupt"):
        load_model(path)


def test_wrong_shapes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    save_model(path, _tiny_model())
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert "weights.npy" in names
    card = json.loads(card_path(path).read_text())
    card["labels"] = ["only_one"]
    card_path(path).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="shapes"):
        load_model(path)


# ------------------------------------------------------------------ reproducible training


def test_training_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    from hegui.moderation.classify.predict import FastClassifier
    from hegui.moderation.classify.train.build import train_fast

    data, corpus = write_mini_data_folder(tmp_path)
    first = train_fast(data, corpus, tmp_path / "a" / "m.npz", seed=3, bits=12, max_iter=50)
    second = train_fast(data, corpus, tmp_path / "b" / "m.npz", seed=3, bits=12, max_iter=50)
    assert (tmp_path / "a" / "m.npz").read_bytes() == (tmp_path / "b" / "m.npz").read_bytes()
    assert first == second
    assert {s["name"] for s in first["training_sources"]} >= {"cold", "corpus"}
    assert set(first["data_files"]) >= {"cold/train.csv", "swsr/SexComment.csv"}
    # The model learned something: an offensive line outscores a neutral one on the trained label.
    model = FastClassifier.load(tmp_path / "a" / "m.npz")
    j = LABEL_NAMES.index("discrimination")
    assert model.predict("庚市人都是骗子，离远点")[j] > model.predict("我在庚市吃了一碗面")[j]
    other_seed = train_fast(data, corpus, tmp_path / "c" / "m.npz", seed=4, bits=12, max_iter=50)
    assert other_seed["sha256"] != first["sha256"]  # the seed decides the splits
