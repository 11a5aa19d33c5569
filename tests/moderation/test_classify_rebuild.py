"""The shipped models rebuild bit for bit from ../shared/data, the corpus and the card's seed (slow:
the fast model trains for minutes; the semantic head embeds ~10k texts on a cold cache)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hegui.moderation.classify.model import card_path
from hegui.moderation.classify.predict import (
    FAST_MODEL_FILE,
    SEMANTIC_DEEP_MODEL_FILE,
    SEMANTIC_MODEL_FILE,
    shipped_model_path,
)

CORPUS = Path(__file__).resolve().parents[2] / "training" / "corpus"


@pytest.mark.slow
@pytest.mark.parametrize("file_name", [SEMANTIC_MODEL_FILE, SEMANTIC_DEEP_MODEL_FILE, FAST_MODEL_FILE])
def test_shipped_model_rebuilds_bit_for_bit(file_name: str, shared_data: Path, tmp_path: Path) -> None:
    import json

    from hegui.moderation.classify.train.build import train_fast, train_semantic

    shipped = shipped_model_path(file_name)
    card = json.loads(card_path(shipped).read_text(encoding="utf-8"))
    if file_name == FAST_MODEL_FILE:
        rebuilt = train_fast(shared_data, CORPUS, tmp_path / file_name, seed=int(card["seed"]))
    else:
        rebuilt = train_semantic(shared_data, CORPUS, tmp_path / file_name, seed=int(card["seed"]),
                                 depth=int(card["embedder"]["depth"]), name=card["name"])
    assert rebuilt["data_files"] == card["data_files"], "the data folder or corpus differs from the card's"
    assert (tmp_path / file_name).read_bytes() == shipped.read_bytes()
    assert rebuilt == card
