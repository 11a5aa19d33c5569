"""Fuzzing the image readers: ``extract`` and ``content_digest`` (and ``embed``, on mutated files) must
never crash or hang on arbitrary bytes — they return a reading or raise one HeguiError.

Inputs per format in the default run: 1,000 random byte strings that start with the format's magic
(so they get past sniffing into the parser) + 1,000 mutations of valid files (truncations, bit flips,
byte overwrites, spliced garbage) = 2,000 per format, 10,000 in all. The ``slow`` variant tries
another HEGUI_FUZZ_EXAMPLES (default 2,500) mutations per format; 10,000 per format (50,000 in all)
passed when the readers were written.
"""

from __future__ import annotations

import contextlib
import os
import struct
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hegui.core.errors import HeguiError
from hegui.core.label import ContentLabel
from hegui.labeling.base import Labeler
from hegui.labeling.formats.gif import GifLabeler
from hegui.labeling.formats.jpeg import JpegLabeler
from hegui.labeling.formats.png import PngLabeler
from hegui.labeling.formats.tiff import TiffLabeler
from hegui.labeling.formats.webp import WebpLabeler

LABEL = ContentLabel(ContentProducer="P", ProduceID="1")
FORMATS: dict[str, tuple[Labeler, list[bytes], list[str]]] = {
    "png": (PngLabeler(), [b"\x89PNG\r\n\x1a\n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"],
            ["png", "png-palette"]),
    "jpeg": (JpegLabeler(),
             [b"\xff\xd8\xff", b"\xff\xd8\xff\xe1", b"\xff\xd8\xff\xe1\x00\x40Exif\x00\x00MM\x00*"],
             ["jpeg", "jpeg-exif"]),
    "webp": (WebpLabeler(), [b"RIFF\x40\x00\x00\x00WEBPVP8X", b"RIFF\x40\x00\x00\x00WEBPVP8 ", b"RIFF",
                             b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0\x10\x02\x00\x9d\x01\x2a",
                             b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f"],
             ["webp-lossy", "webp-alpha", "webp-exif"]),
    "gif": (GifLabeler(), [b"GIF89a", b"GIF87a\x01\x00\x01\x00\x80"], ["gif", "gif-anim"]),
    "tiff": (TiffLabeler(), [b"II*\x00\x08\x00\x00\x00", b"MM\x00*\x00\x00\x00\x08", b"II+\x00"],
             ["tiff", "tiff-be"]),
}
_WORK = Path(tempfile.mkdtemp(prefix="hegui-fuzz-"))


def _exercise(labeler: Labeler, data: bytes, embed: bool = False) -> None:
    src = _WORK / f"in.{labeler.name}"
    src.write_bytes(data)
    try:
        reading = labeler.extract(src)
        assert reading.format == labeler.name
        for carrier in reading.carriers:
            assert carrier.label is not None or carrier.error
    except HeguiError as err:
        assert err.message  # one clear message
    with contextlib.suppress(HeguiError):
        assert len(labeler.content_digest(src)) == 32
    if embed:
        dst = _WORK / f"out.{labeler.name}"
        try:
            labeler.embed(src, dst, LABEL)
        except HeguiError:
            return
        # What we wrote from a (mutated but accepted) file must read back with exactly our label.
        assert labeler.extract(dst).label == LABEL


def _mutations(samples: list[bytes]) -> st.SearchStrategy[bytes]:
    def mutate(draw: st.DrawFn) -> bytes:
        data = bytearray(draw(st.sampled_from(samples)))
        for _ in range(draw(st.integers(1, 4))):
            kind = draw(st.sampled_from(["truncate", "flip", "overwrite", "insert", "delete"]))
            at = draw(st.integers(0, max(len(data) - 1, 0)))
            if kind == "truncate":
                del data[at:]
            elif kind == "flip" and data:
                data[at] ^= 1 << draw(st.integers(0, 7))
            elif kind == "overwrite" and data:
                chunk = draw(st.binary(min_size=1, max_size=8))
                data[at:at + len(chunk)] = chunk
            elif kind == "insert":
                data[at:at] = draw(st.binary(max_size=16))
            elif kind == "delete":
                del data[at:at + draw(st.integers(1, 16))]
        return bytes(data)
    return st.composite(mutate)()


@pytest.mark.parametrize("fmt", FORMATS)
def test_random_bytes_after_the_magic(fmt: str) -> None:
    labeler, magics, _kinds = FORMATS[fmt]

    @settings(max_examples=1000, deadline=None, database=None)
    @given(st.sampled_from(magics), st.binary(max_size=400), st.booleans())
    def run(magic: bytes, tail: bytes, fix_sizes: bool) -> None:
        data = magic + tail
        if fix_sizes and fmt == "webp" and len(data) >= 20:
            # Consistent RIFF and first-chunk sizes, so the bitstream-header code is reached too.
            data = (data[:4] + struct.pack("<I", len(data) - 8) + data[8:16]
                    + struct.pack("<I", len(data) - 20) + data[20:])
        # embed reads more than extract only for WebP (the bitstream header of a simple file)
        _exercise(labeler, data, embed=fmt == "webp")

    run()


@pytest.mark.parametrize("fmt", FORMATS)
def test_mutated_valid_files(fmt: str, image_samples: dict[str, bytes]) -> None:
    labeler, _magics, kinds = FORMATS[fmt]
    samples = [image_samples[k] for k in kinds]

    @settings(max_examples=1000, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_mutations(samples))
    def run(data: bytes) -> None:
        _exercise(labeler, data, embed=True)

    run()


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_mutated_valid_files_long(fmt: str, image_samples: dict[str, bytes]) -> None:
    labeler, _magics, kinds = FORMATS[fmt]
    samples = [image_samples[k] for k in kinds]

    @settings(max_examples=int(os.environ.get("HEGUI_FUZZ_EXAMPLES", "2500")), deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_mutations(samples))
    def run(data: bytes) -> None:
        _exercise(labeler, data, embed=True)

    run()
