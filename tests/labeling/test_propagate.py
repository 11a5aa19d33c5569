"""The platform side (Measures Art. 6): confirmed / possible / suspected / none, propagator fields
added, producer keys and signatures untouched, matching explicit wording."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops

from hegui.core.errors import LabelError
from hegui.core.label import ContentLabel
from hegui.labeling.api import add_label, inspect, propagate
from hegui.labeling.signing import write_keypair
from hegui.labeling.xmp import build_xmp_packet

PLATFORM = "001191110102MAD55U9H0F20001"


def _png(path: Path) -> Path:
    Image.new("RGB", (300, 200), "white").save(path)
    return path


def _text(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


def test_confirmed_keeps_producer_fields_and_label_1(tmp_path: Path) -> None:
    labeled = add_label(_png(tmp_path / "a.png"), out_dir=tmp_path / "p", producer="MakerAI",
                        produce_id="m-1", explicit=False).dst
    result = propagate(labeled, platform=PLATFORM, propagate_id="post-9", out_dir=tmp_path / "out",
                       code_mode="strict")
    assert result.decision == "confirmed" and result.display_wording == "AI生成"
    label = inspect(result.dst).label  # type: ignore[arg-type]
    assert label == ContentLabel(Label="1", ContentProducer="MakerAI", ProduceID="m-1",
                                 ContentPropagator=PLATFORM, PropagateID="post-9")
    assert result.explicit is not None and result.explicit.applied  # drawn: no signature to protect
    with Image.open(labeled) as a, Image.open(result.dst) as b:  # type: ignore[arg-type]
        assert ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is not None


def test_signed_content_is_not_redrawn_and_signatures_verify(tmp_path: Path) -> None:
    producer_key, producer_pub = write_keypair(tmp_path / "producer")
    platform_key, platform_pub = write_keypair(tmp_path / "platform")
    labeled = add_label(_png(tmp_path / "a.png"), out_dir=tmp_path / "p", producer="MakerAI",
                        signing_key=producer_key).dst
    result = propagate(labeled, platform="PlatformX", propagate_id="post-1", out_dir=tmp_path / "out",
                       signing_key=platform_key)
    assert result.explicit is None
    assert any("NOT drawn" in a for a in result.actions)
    report = inspect(result.dst, public_key=producer_pub, platform_key=platform_pub)  # type: ignore[arg-type]
    assert report.signature.status == "valid"
    assert report.platform_signature.status == "valid"
    assert report.label is not None and report.label.ReservedCode2.startswith("hg1.")


def test_user_declared_is_possible_label_2(tmp_path: Path) -> None:
    src = _text(tmp_path / "post.md", "# 游记\n\n今天去了西湖。\n")
    result = propagate(src, platform="PlatformX", propagate_id="p-2", user_declared=True,
                       out_dir=tmp_path / "out")
    assert result.decision == "possible"
    text = result.dst.read_text(encoding="utf-8")  # type: ignore[union-attr]
    assert "可能为AI生成" in text
    label = inspect(result.dst).label  # type: ignore[arg-type]
    assert label == ContentLabel(Label="2", ContentPropagator="PlatformX", PropagateID="p-2")


def test_detected_explicit_label_is_suspected_label_3(tmp_path: Path) -> None:
    src = _text(tmp_path / "post.txt", "一段文字。\n\n（本文由AI生成）\n")
    result = propagate(src, platform="PlatformX", propagate_id="p-3", out_dir=tmp_path / "out")
    assert result.decision == "suspected" and "AI生成" in result.reason
    assert "疑似AI生成" in result.dst.read_text(encoding="utf-8")  # type: ignore[union-attr]
    assert inspect(result.dst).label.Label == "3"  # type: ignore[arg-type, union-attr]


def test_no_indication_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    text = propagate(_text(tmp_path / "t.txt", "普通文章。\n"), platform="PlatformX", propagate_id="p",
                     out_dir=out)
    image = propagate(_png(tmp_path / "a.png"), platform="PlatformX", propagate_id="p", out_dir=out)
    for result in (text, image):
        assert result.decision == "none" and result.dst is None and "no AI indication" in result.reason
    assert not out.exists() or not any(out.iterdir())


def test_bad_platform_fields_and_conflicts(tmp_path: Path) -> None:
    src = _png(tmp_path / "a.png")
    with pytest.raises(LabelError, match="27 characters"):
        propagate(src, platform="PlatformX", propagate_id="p", out_dir=tmp_path / "o", code_mode="strict")
    with pytest.raises(LabelError, match="outside the allowed set"):
        propagate(src, platform="平台", propagate_id="p", out_dir=tmp_path / "o")
    with pytest.raises(LabelError, match="PropagateID is required"):
        propagate(src, platform="PlatformX", propagate_id="", out_dir=tmp_path / "o")
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp",
                  build_xmp_packet(ContentLabel(ContentProducer="A", ProduceID="1")).decode())
    info.add_text("AIGC", ContentLabel(ContentProducer="B", ProduceID="2").to_json())
    two = tmp_path / "two.png"
    Image.new("RGB", (40, 40)).save(two, pnginfo=info)
    with pytest.raises(LabelError, match="conflicting"):
        propagate(two, platform="PlatformX", propagate_id="p", out_dir=tmp_path / "o")
