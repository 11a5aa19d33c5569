"""Interoperability with the real exiftool: it sees the TC260 AIGC property in every image format we
write, extracts our XMP packet unchanged, finds no structural problem (-validate), and labels that
exiftool writes are read by hegui."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from hegui.core.label import ContentLabel
from hegui.labeling.base import atomic_output, labeler_for
from hegui.labeling.xmp import EXIFTOOL_CONFIG, TC260_NS

LABEL = ContentLabel(ContentProducer="001191110102MAD55U9H0F10002", ProduceID="img-<&>-1")
KINDS = ["png", "jpeg", "jpeg-exif", "webp-lossy", "webp-lossless", "gif", "gif-anim", "tiff", "tiff-be"]
Factory = Callable[..., Path]


def run_exiftool(exiftool: str, *args: str | Path) -> str:
    done = subprocess.run([exiftool, *map(str, args)], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exiftool") / "tc260.config"
    path.write_text(EXIFTOOL_CONFIG)
    return path


def _labeled(kind: str, image_factory: Factory, tmp_path: Path) -> Path:
    src = image_factory(kind)
    dst = tmp_path / ("labeled-" + src.name)
    with atomic_output(dst) as tmp:
        labeler_for(src).embed(src, tmp, LABEL)
    return dst


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, exiftool: str, config: Path,
          make_image_file: Factory) -> dict[str, dict[str, dict]]:
    """Every kind, original and labeled, read by exiftool in a few batch runs (exiftool's start-up
    dominates otherwise): {kind: {"src"/"dst"/"plain"/"validate-src"/"validate-dst": exiftool JSON}}."""
    folder = tmp_path_factory.mktemp("exiftool-batch")
    files: dict[str, tuple[Path, Path]] = {}
    for kind in KINDS:
        src = make_image_file(kind, folder / f"{kind}.{kind[:4]}")
        dst = folder / f"labeled-{src.name}"
        with atomic_output(dst) as tmp:
            labeler_for(src).embed(src, tmp, LABEL)
        files[kind] = (src, dst)
    dsts = [d for _s, d in files.values()]
    everything = [p for pair in files.values() for p in pair]

    def by_file(*args: str | Path) -> dict[str, dict]:
        # ("-config" must come first on exiftool's command line)
        return {item["SourceFile"]: item for item in json.loads(run_exiftool(exiftool, *args, "-j"))}

    named = by_file("-config", config, "-XMP-TC260:all", *dsts)
    plain = by_file("-XMP-TC260:all", *dsts)
    validate = by_file("-validate", "-warning", "-a", *everything)
    return {kind: {"named": named[str(d)], "plain": plain[str(d)], "validate-src": validate[str(s)],
                   "validate-dst": validate[str(d)]} for kind, (s, d) in files.items()}


@pytest.mark.parametrize("kind", KINDS)
def test_exiftool_sees_the_tc260_aigc_property(kind: str, batch: dict[str, dict[str, dict]]) -> None:
    assert json.loads(batch[kind]["named"]["AIGC"]) == LABEL.inner()
    # Without any config exiftool still reads the namespace (tag name then capitalised 'Aigc').
    assert json.loads(batch[kind]["plain"]["Aigc"]) == LABEL.inner()


@pytest.mark.parametrize("kind", KINDS)
def test_exiftool_validate_finds_no_new_problem(kind: str, batch: dict[str, dict[str, dict]]) -> None:
    def warnings(info: dict) -> set[str]:
        found = info.get("Warning", [])
        return set(found if isinstance(found, list) else [found])

    assert batch[kind]["validate-dst"]["Validate"] in ("OK", batch[kind]["validate-src"]["Validate"])
    assert warnings(batch[kind]["validate-dst"]) <= warnings(batch[kind]["validate-src"])


@pytest.mark.parametrize("kind", ["png", "jpeg", "webp-lossy", "gif", "tiff"])
def test_exiftool_extracts_our_packet_unchanged(kind: str, image_factory: Factory, tmp_path: Path,
                                                exiftool: str) -> None:
    dst = _labeled(kind, image_factory, tmp_path)
    packet = subprocess.run([exiftool, "-xmp", "-b", str(dst)], capture_output=True, timeout=60,
                            check=True).stdout
    assert packet.startswith(b"<?xpacket begin=") and packet in dst.read_bytes()
    assert TC260_NS.encode() in packet


@pytest.mark.parametrize("kind", ["png", "jpeg", "webp-lossy", "gif", "tiff"])
def test_hegui_reads_and_replaces_a_label_written_by_exiftool(kind: str, image_factory: Factory,
                                                              tmp_path: Path, exiftool: str,
                                                              config: Path) -> None:
    src = image_factory(kind)
    theirs = ContentLabel(Label="2", ContentProducer="WRITTEN-BY-EXIFTOOL", ProduceID="x")
    run_exiftool(exiftool, "-config", config, "-overwrite_original", "-XMP-dc:Creator=someone",
                 f"-XMP-TC260:AIGC={theirs.inner_json()}", src)
    assert labeler_for(src).extract(src).label == theirs
    dst = tmp_path / ("out" + src.suffix)
    with atomic_output(dst) as tmp:
        labeler_for(src).embed(src, tmp, LABEL)
    [info] = json.loads(run_exiftool(exiftool, "-config", config, "-j", "-XMP:all", dst))
    assert json.loads(info["AIGC"]) == LABEL.inner() and info["Creator"] == "someone"
    assert labeler_for(dst).extract(dst).label == LABEL
