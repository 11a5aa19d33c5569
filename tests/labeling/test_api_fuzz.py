"""``inspect`` never crashes or hangs on arbitrary bytes: only HeguiError (one clear message) may
escape. Inputs: random bytes behind each supported format's magic, and truncations / bit flips of
files hegui labeled itself. Default run: 300 random + 300 mutated = 600 inputs (hypothesis
max_examples)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from hegui.core.errors import HeguiError
from hegui.labeling.api import add_label, inspect

MAGICS = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF\x00\x00\x00\x00WEBP", b"GIF89a", b"II*\x00",
          b"MM\x00*", b"ID3\x03\x00\x00", b"RIFF\x00\x00\x00\x00WAVE", b"fLaC", b"\x00\x00\x00\x18ftypisom",
          b"%PDF-1.7\n", b"PK\x03\x04", b"---\nAIGC: ", b""]


def _labeled_samples() -> list[bytes]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, ext in (("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif")):
            src = Path(tmp) / f"s.{ext}"
            buf = io.BytesIO()
            Image.new("RGB", (32, 32), "red").save(buf, format=fmt)
            src.write_bytes(buf.getvalue())
            result = add_label(src, out_dir=Path(tmp) / "o", producer="FuzzAI", explicit=False)
            out.append(result.dst.read_bytes())
        text = Path(tmp) / "t.md"
        text.write_text("# t\n", encoding="utf-8")
        out.append(add_label(text, out_dir=Path(tmp) / "o", producer="FuzzAI").dst.read_bytes())
    return out


SAMPLES = _labeled_samples()


def _check(data: bytes, tmp: Path) -> None:
    path = tmp / "fuzz.bin"
    path.write_bytes(data)
    try:
        result = inspect(path)
    except HeguiError as err:
        assert err.message and "Traceback" not in err.message
    else:
        result.as_dict()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(magic=st.sampled_from(MAGICS), tail=st.binary(max_size=512))
def test_random_bytes_behind_magic(tmp_path: Path, magic: bytes, tail: bytes) -> None:
    _check(magic + tail, tmp_path)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, len(SAMPLES) - 1), cut=st.floats(0, 1),
       flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 7)), max_size=4))
def test_mutated_labeled_files(tmp_path: Path, which: int, cut: float,
                               flips: list[tuple[float, int]]) -> None:
    data = bytearray(SAMPLES[which][: max(1, int(len(SAMPLES[which]) * (0.5 + cut / 2)))])
    for where, bit in flips:
        data[int(where * (len(data) - 1))] ^= 1 << bit
    _check(bytes(data), tmp_path)
