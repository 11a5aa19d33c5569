"""The Python API: add_label (explicit → implicit → signature), inspect, and the refusals that keep
labels from being removed or forged. Real format labelers, real files."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import wave
import zipfile
from array import array
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops, PngImagePlugin

from hegui.core.errors import InputError, LabelError, UnsupportedFormatError
from hegui.core.label import ContentLabel
from hegui.labeling.api import add_label, inspect
from hegui.labeling.base import labeler_for
from hegui.labeling.explicit.audio import detect_rhythm, read_wav_samples
from hegui.labeling.signing import write_keypair

CODE = "001191110102MAD55U9H0F10002"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def make_png(path: Path, color: str = "white", size: tuple[int, int] = (300, 200)) -> Path:
    Image.new("RGB", size, color).save(path)
    return path


def make_wav(path: Path, seconds: float = 0.5, rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(array("h", [0] * int(seconds * rate)).tobytes())
    return path


def make_docx(path: Path, text: str = "正文第一段") -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml",
                    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                    '<Default Extension="xml" ContentType="application/xml"/></Types>')
        zf.writestr("_rels/.rels",
                    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        zf.writestr("word/document.xml", f'<w:document xmlns:w="{W_NS}"><w:body>'
                    f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>")
    return path


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_keypair(tmp_path_factory.mktemp("keys"))


def test_add_png_explicit_implicit_signed(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    src = make_png(tmp_path / "a.png")
    before = src.read_bytes()
    result = add_label(src, out_dir=tmp_path / "out", producer=CODE, signing_key=keys[0],
                       code_mode="strict")
    assert src.read_bytes() == before                     # original untouched
    assert result.dst == tmp_path / "out" / "a.png"
    assert result.label.ProduceID and not result.label.problems()
    assert result.explicit is not None and result.explicit.applied
    with Image.open(src) as a, Image.open(result.dst) as b:
        assert ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is not None
    report = inspect(result.dst, public_key=keys[1])
    assert report.label == result.label
    assert report.label is not None and report.label.ContentProducer == CODE
    assert report.signature.status == "valid"
    assert not report.conflicts and report.problems == []
    as_json = json.dumps(report.as_dict())
    assert "valid" in as_json


def test_produce_id_default_is_fresh_and_in_charset(tmp_path: Path) -> None:
    src = make_png(tmp_path / "a.png")
    one = add_label(src, out_dir=tmp_path / "o1", producer="ExampleAI", explicit=False)
    two = add_label(src, out_dir=tmp_path / "o2", producer="ExampleAI", explicit=False)
    assert one.label.ProduceID != two.label.ProduceID
    assert one.label.problems() == []


def test_no_explicit_keeps_pixels(tmp_path: Path) -> None:
    src = make_png(tmp_path / "a.png", "navy")
    result = add_label(src, out_dir=tmp_path / "out", producer="ExampleAI", explicit=False)
    with Image.open(src) as a, Image.open(result.dst) as b:
        assert a.tobytes() == b.tobytes()


def test_in_place_and_destination_rules(tmp_path: Path) -> None:
    src = make_png(tmp_path / "a.png")
    result = add_label(src, in_place=True, producer="ExampleAI", produce_id="id-1")
    assert result.dst == src and inspect(src).label == result.label
    with pytest.raises(InputError, match="exactly one"):
        add_label(src, producer="ExampleAI")
    with pytest.raises(InputError, match="exactly one"):
        add_label(src, out_dir=tmp_path / "o", in_place=True, producer="ExampleAI")
    with pytest.raises(InputError, match="overwrite the original"):
        add_label(src, out_dir=tmp_path, producer="ExampleAI")
    first = add_label(src, out_dir=tmp_path / "o", producer="ExampleAI", explicit=False)
    kept = first.dst.read_bytes()
    with pytest.raises(InputError, match="already exists"):
        add_label(src, out_dir=tmp_path / "o", producer="ExampleAI", explicit=False)
    assert first.dst.read_bytes() == kept
    again = add_label(src, out_dir=tmp_path / "o", producer="ExampleAI", explicit=False, overwrite=True)
    assert inspect(again.dst).label == again.label


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"producer": "名字"}, "outside the allowed set"),
    ({"producer": "Example AI"}, "outside the allowed set"),
    ({"producer": "001191110102MAD55U9H0G10002", "code_mode": "strict"}, "checksum"),
    ({"producer": "ExampleAI", "code_mode": "strict"}, "27 characters"),
    ({"producer": "ExampleAI", "produce_id": 'a"b'}, "outside the allowed set"),
    ({"producer": ""}, "required"),
])
def test_bad_label_values_leave_nothing_behind(tmp_path: Path, kwargs: dict[str, str], message: str) -> None:
    src = make_png(tmp_path / "a.png")
    before = src.read_bytes()
    with pytest.raises(LabelError, match=message):
        add_label(src, out_dir=tmp_path / "out", **kwargs)  # type: ignore[arg-type]
    assert src.read_bytes() == before
    assert not (tmp_path / "out" / "a.png").exists()


def test_another_producers_label_is_never_replaced(tmp_path: Path) -> None:
    src = make_png(tmp_path / "a.png")
    add_label(src, in_place=True, producer="FirstAI", produce_id="x1", explicit=False)
    before = src.read_bytes()
    with pytest.raises(LabelError, match="another producer"):
        add_label(src, in_place=True, producer="SecondAI", explicit=False)
    assert src.read_bytes() == before
    # The same producer may relabel: still exactly one label.
    add_label(src, in_place=True, producer="FirstAI", produce_id="x2", explicit=False)
    report = inspect(src)
    assert report.label is not None and report.label.ProduceID == "x2" and not report.conflicts


def test_tampering_is_reported(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    signed = add_label(make_png(tmp_path / "a.png"), out_dir=tmp_path / "out", producer="ExampleAI",
                       signing_key=keys[0]).dst
    labeler = labeler_for(signed)
    label = inspect(signed).label
    assert label is not None
    # Label tampered: a different ProduceID written with the real labeler, signature token kept.
    forged = tmp_path / "forged.png"
    labeler.embed(signed, forged, dataclasses.replace(label, ProduceID="someone-else"))
    assert inspect(forged, public_key=keys[1]).signature.status == "label-tampered"
    # Content tampered: pixels changed, the same (signed) label re-attached.
    repainted = tmp_path / "repainted.png"
    with Image.open(signed) as img:
        img.convert("RGB").point(lambda v: 255 - v).save(tmp_path / "plain.png")
    labeler.embed(tmp_path / "plain.png", repainted, label)
    assert inspect(repainted, public_key=keys[1]).signature.status == "content-tampered"
    # Without the key: signed but unverifiable.
    assert inspect(signed).signature.status == "unverifiable"


def test_conflicting_carriers_are_reported(tmp_path: Path) -> None:
    from hegui.labeling.xmp import build_xmp_packet

    a = ContentLabel(ContentProducer="A", ProduceID="1")
    b = ContentLabel(ContentProducer="B", ProduceID="2")
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", build_xmp_packet(a).decode("utf-8"))
    info.add_text("AIGC", b.to_json())
    path = tmp_path / "two.png"
    Image.new("RGB", (50, 50)).save(path, pnginfo=info)
    report = inspect(path)
    assert report.conflicts and report.label is None
    assert any("conflicting" in p for p in report.problems)


def test_bad_input_files(tmp_path: Path) -> None:
    png = make_png(tmp_path / "a.png")
    truncated = tmp_path / "t.png"
    truncated.write_bytes(png.read_bytes()[:40])
    with pytest.raises(InputError):
        add_label(truncated, out_dir=tmp_path / "out", producer="ExampleAI", explicit=False)
    binary = tmp_path / "x.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(UnsupportedFormatError):
        inspect(binary)
    liar = tmp_path / "photo.jpg"  # a PNG named .jpg: content decides
    liar.write_bytes(png.read_bytes())
    report = inspect(liar)
    assert report.format == "png" and "does not match the content" in report.warnings[0]
    with pytest.raises(InputError, match="no such file"):
        inspect(tmp_path / "missing.png")
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot create output directory"):
        add_label(png, out_dir=blocker / "sub", producer="ExampleAI")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc (Linux)")
def test_unwritable_output_location_even_for_root(tmp_path: Path) -> None:
    png = make_png(tmp_path / "a.png")
    before = png.read_bytes()
    with pytest.raises(InputError, match="cannot write in /proc/self"):
        add_label(png, out_dir="/proc/self", producer="ExampleAI")
    assert png.read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_output_dir(tmp_path: Path) -> None:
    png = make_png(tmp_path / "a.png")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(InputError, match="cannot write"):
            add_label(png, out_dir=ro, producer="ExampleAI")
    finally:
        ro.chmod(0o700)


def test_wav_rhythm_and_metadata(tmp_path: Path) -> None:
    result = add_label(make_wav(tmp_path / "a.wav"), out_dir=tmp_path / "out", producer="ExampleAI")
    samples, rate, channels = read_wav_samples(result.dst, seconds=1.6)
    assert detect_rhythm(samples, rate, channels) == "SLSS"
    assert inspect(result.dst).label == result.label


def test_pdf_and_docx(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    pdf_path = tmp_path / "a.pdf"
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(pdf_path)
    result = add_label(pdf_path, out_dir=tmp_path / "out", producer="ExampleAI", signing_key=keys[0])
    assert inspect(result.dst, public_key=keys[1]).signature.status == "valid"
    docx = add_label(make_docx(tmp_path / "a.docx"), out_dir=tmp_path / "out", producer="ExampleAI")
    report = inspect(docx.dst)
    assert report.format == "ooxml" and report.explicit_label is not None
    assert report.label == docx.label


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_mp4_label_drawn_and_tag_visible_to_ffprobe(tmp_path: Path) -> None:
    src = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=160x120:d=3:r=10",
                    "-c:v", "libx264", "-preset", "ultrafast", src], check=True)
    result = add_label(src, out_dir=tmp_path / "out", producer="ExampleAI")
    out = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-of", "json", result.dst],
                         capture_output=True, text=True, check=True).stdout
    tags = json.loads(out)["format"].get("tags", {})
    assert ContentLabel.from_json(tags["AIGC"]) == result.label
    frame = tmp_path / "f.png"
    subprocess.run(["ffmpeg", "-v", "error", "-ss", "1", "-i", result.dst, "-frames:v", "1", frame],
                   check=True)
    with Image.open(frame) as img:
        assert img.convert("L").getextrema()[1] >= 200  # the drawn label is there at 1 s


@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("WEBP", "webp"), ("GIF", "gif"), ("TIFF", "tif")])
def test_every_image_format_explicit_and_implicit(tmp_path: Path, fmt: str, ext: str) -> None:
    src = tmp_path / f"a.{ext}"
    Image.new("RGB", (200, 150), "green").save(src, format=fmt)
    result = add_label(src, out_dir=tmp_path / "out", producer="ExampleAI")
    assert result.explicit is not None and result.explicit.applied
    assert inspect(result.dst).label == result.label
    with Image.open(result.dst) as img:
        assert img.format == fmt


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
@pytest.mark.parametrize("ext", ["mp3", "flac", "m4a"])
def test_compressed_audio_rhythm_and_tag(tmp_path: Path, ext: str) -> None:
    src = tmp_path / f"a.{ext}"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "1", src],
                   check=True)
    result = add_label(src, out_dir=tmp_path / "out", producer="ExampleAI")
    out = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-of", "json", result.dst],
                         capture_output=True, text=True, check=True).stdout
    tags = {k.upper(): v for k, v in json.loads(out)["format"].get("tags", {}).items()}
    assert ContentLabel.from_json(tags["AIGC"]) == result.label
    decoded = tmp_path / "decoded.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-i", result.dst, "-c:a", "pcm_s16le", decoded], check=True)
    samples, rate, channels = read_wav_samples(decoded, seconds=1.8)
    assert detect_rhythm(samples, rate, channels) == "SLSS"
