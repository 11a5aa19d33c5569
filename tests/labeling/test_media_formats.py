"""Implicit labels in MP3, WAV, FLAC and MP4/MOV: round trip, one label per file, real readers
(ffprobe), lossless (ffmpeg framemd5 before/after), content digest, bad input.

Fixture files are made by ffmpeg in the test session (a second of sine / testsrc)."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from hegui.core.errors import HeguiError, InputError
from hegui.core.label import ContentLabel
from hegui.labeling.base import labeler_for
from hegui.labeling.formats import _isobmff as bmff

FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")
pytestmark = pytest.mark.skipif(
    FFMPEG is None or FFPROBE is None,
    reason="ffmpeg/ffprobe not installed (apt-get install ffmpeg; run.sh does it)")

LABEL = ContentLabel(ContentProducer="001191110102MAD55U9H0F10002", ProduceID="gen-42")
OTHER = LABEL.with_propagator("platform-x", "p-" + "9" * 40, label="1")

_SINE = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1"]
_VIDEO = ["-f", "lavfi", "-i", "testsrc=duration=1:size=96x64:rate=10", *_SINE, "-shortest",
          "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"]
# kind -> (file name, ffmpeg output arguments, expected labeler)
KINDS: dict[str, tuple[str, list[str], str]] = {
    "mp3-id3v23": ("a.mp3", [*_SINE, "-c:a", "libmp3lame", "-metadata", "title=T"], "mp3"),
    "mp3-id3v24": ("b.mp3", [*_SINE, "-c:a", "libmp3lame", "-id3v2_version", "4", "-metadata", "title=T"],
                   "mp3"),
    "mp3-bare": ("c.mp3", [*_SINE, "-c:a", "libmp3lame", "-id3v2_version", "0", "-write_xing", "0"], "mp3"),
    "wav": ("a.wav", [*_SINE, "-metadata", "title=T"], "wav"),
    "wav-bare": ("b.wav", [*_SINE, "-map_metadata", "-1", "-fflags", "+bitexact"], "wav"),
    # An 'id3 ' chunk (ID3v2.3 with a title) is appended below.
    "wav-id3": ("c.wav", [*_SINE, "-map_metadata", "-1", "-fflags", "+bitexact"], "wav"),
    "flac": ("a.flac", [*_SINE, "-metadata", "title=T"], "flac"),
    "flac-no-comments": ("b.flac", [*_SINE], "flac"),  # VORBIS_COMMENT removed below
    "flac-id3": ("c.flac", [*_SINE, "-metadata", "title=T"], "flac"),  # an ID3 tag is put in front
    "mp4-moov-last": ("a.mp4", [*_VIDEO, "-metadata", "title=T"], "mp4"),
    "mp4-mdta": ("b.mp4", [*_VIDEO, "-metadata", "title=T", "-movflags", "use_metadata_tags"], "mp4"),
    "mp4-faststart": ("c.mp4", [*_VIDEO, "-metadata", "title=T", "-movflags", "+faststart"], "mp4"),
    # Fragments with absolute base-data offsets (ffmpeg's default) and an mfra index at the end.
    "mp4-fragmented": ("f.mp4", [*_VIDEO, "-g", "5", "-movflags", "frag_keyframe+empty_moov",
                                 "-write_tmcd", "0"], "mp4"),
    "mov": ("d.mov", [*_VIDEO, "-metadata", "title=T", "-f", "mov"], "mp4"),
    "m4a": ("e.m4a", [*_SINE, "-c:a", "aac", "-metadata", "title=T"], "mp4"),
}
HAS_TITLE = {k for k, (_, args, _) in KINDS.items() if "title=T" in args} | {"wav-id3"}


def _strip_vorbis_comment(path: Path) -> None:
    """Remove the VORBIS_COMMENT block ffmpeg always writes, fixing the last-block flag."""
    data = path.read_bytes()
    pos, blocks = 4, []
    while True:
        head = data[pos]
        length = int.from_bytes(data[pos + 1:pos + 4], "big")
        blocks.append((head & 0x7F, data[pos + 4:pos + 4 + length]))
        pos += 4 + length
        if head & 0x80:
            break
    blocks = [b for b in blocks if b[0] != 4]
    out = bytearray(b"fLaC")
    for n, (kind, body) in enumerate(blocks):
        out += bytes(((0x80 if n == len(blocks) - 1 else 0) | kind,)) + len(body).to_bytes(3, "big") + body
    path.write_bytes(bytes(out) + data[pos:])


def _append_id3_chunk(path: Path) -> None:
    title = b"\x00" + b"T"
    frame = b"TIT2" + len(title).to_bytes(4, "big") + b"\x00\x00" + title
    tag = b"ID3\x03\x00\x00" + bytes((0, 0, 0, len(frame))) + frame
    data = path.read_bytes() + b"id3 " + struct.pack("<I", len(tag)) + tag + b"\x00" * (len(tag) & 1)
    path.write_bytes(data[:4] + struct.pack("<I", len(data) - 8) + data[8:])


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("media")
    for kind, (name, args, _) in KINDS.items():
        cmd = [FFMPEG or "ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args, str(out / name)]
        subprocess.run(cmd, check=True)
        if kind == "flac-no-comments":
            _strip_vorbis_comment(out / name)
        if kind == "wav-id3":
            _append_id3_chunk(out / name)
        if kind == "flac-id3":
            frame = b"\x00ripper"
            tag = b"TENC" + len(frame).to_bytes(4, "big") + b"\x00\x00" + frame
            id3 = b"ID3\x03\x00\x00" + bytes((0, 0, 0, len(tag))) + tag
            (out / name).write_bytes(id3 + (out / name).read_bytes())
    return out


@pytest.fixture
def media(media_dir: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A private copy of the sample of kind ``request.param``."""
    name = KINDS[request.param][0]
    dst = tmp_path / name
    shutil.copyfile(media_dir / name, dst)
    return dst


def _embed(src: Path, label: ContentLabel, dst: Path | None = None) -> Path:
    dst = dst or src.with_name("labeled-" + src.name)
    labeler_for(src).embed(src, dst, label)
    return dst


def ffprobe_tags(path: Path) -> dict[str, str]:
    out = subprocess.run([FFPROBE or "ffprobe", "-v", "error", "-show_format", "-of", "json", str(path)],
                         check=True, capture_output=True, text=True).stdout
    tags: dict[str, str] = json.loads(out)["format"].get("tags", {})
    return tags


def framemd5(path: Path, decode: bool) -> str:
    """Per-packet (``decode=False``: the stored streams) or per-decoded-frame MD5s of every stream."""
    codec = [] if decode else ["-c", "copy"]
    out = subprocess.run([FFMPEG or "ffmpeg", "-v", "error", "-i", str(path), "-map", "0", *codec,
                          "-f", "framemd5", "-"], check=True, capture_output=True, text=True).stdout
    lines = [ln for ln in out.splitlines() if ln and not ln.startswith("#")]
    assert len(lines) >= 5, out  # real frames were compared, not an empty listing
    return "\n".join(lines)


ALL = list(KINDS)


@pytest.mark.parametrize("media", ALL, indirect=True)
def test_round_trip_one_label_and_real_reader(media: Path) -> None:
    kind = next(k for k, v in KINDS.items() if v[0] == media.name)
    labeler = labeler_for(media)
    assert labeler.name == KINDS[kind][2]
    assert labeler.extract(media).label is None

    once = _embed(media, LABEL)
    twice = _embed(once, OTHER, media.with_name("twice-" + media.name))
    reading = labeler.extract(twice)
    assert reading.label == OTHER
    assert not reading.conflicting
    names = [c.name for c in reading.carriers]
    assert len(names) == len(set(names)), f"a carrier was appended, not replaced: {names}"

    tags = ffprobe_tags(twice)
    assert json.loads(tags["AIGC"]) == json.loads(OTHER.to_json())
    if kind in HAS_TITLE:
        assert tags.get("title") == "T", "other metadata must survive labeling"


@pytest.mark.parametrize("media", ALL, indirect=True)
def test_streams_are_byte_identical(media: Path) -> None:
    labeled = _embed(_embed(media, LABEL), OTHER, media.with_name("again-" + media.name))
    assert framemd5(labeled, decode=False) == framemd5(media, decode=False)
    if media.suffix in (".mp3", ".wav", ".flac"):
        assert framemd5(labeled, decode=True) == framemd5(media, decode=True)


@pytest.mark.parametrize("media", ALL, indirect=True)
def test_content_digest_ignores_label_but_not_media(media: Path) -> None:
    labeler = labeler_for(media)
    before = labeler.content_digest(media)
    labeled = _embed(media, LABEL)
    assert labeler.content_digest(labeled) == before
    assert labeler.content_digest(_embed(labeled, OTHER, media.with_name("x-" + media.name))) == before

    # Flip one byte of media data near the end of the file (the samples / mdat of every format here,
    # except for moov-last MP4s, whose tail is the index — the digest covers both).
    data = bytearray(labeled.read_bytes())
    at = len(data) - 300 if media.suffix not in (".mp4", ".mov", ".m4a") else _mdat_middle(labeled)
    data[at] ^= 0x55
    labeled.write_bytes(bytes(data))
    assert labeler.content_digest(labeled) != before


def _mdat_middle(path: Path) -> int:
    with path.open("rb") as fh:
        mdat = next(b for b in bmff.scan_file(fh) if b.box_type == b"mdat")
    return (mdat.start + mdat.end) // 2


@pytest.mark.parametrize("kind", ["mp3-id3v23", "wav", "flac", "mp4-faststart"])
def test_content_not_extension_decides(kind: str, media_dir: Path, tmp_path: Path) -> None:
    name, _, expected = KINDS[kind]
    wrong = tmp_path / (name + ".txt")
    shutil.copyfile(media_dir / name, wrong)
    assert labeler_for(wrong).name == expected
    assert labeler_for(_embed(wrong, LABEL)).extract(wrong.with_name("labeled-" + wrong.name)).label == LABEL


def _boxes(path: Path) -> list[tuple[bytes, int]]:
    with path.open("rb") as fh:
        return [(b.box_type, b.size) for b in bmff.scan_file(fh)]


@pytest.mark.parametrize("media", ["mp4-faststart"], indirect=True)
def test_mp4_moov_before_mdat_offsets_follow(media: Path) -> None:
    """moov grows → chunk offsets shift; shrinks → a free box keeps the data in place; grows again →
    the free box absorbs it. Decoded frames stay identical throughout."""
    order = [t for t, _ in _boxes(media)]
    assert order.index(b"moov") < order.index(b"mdat")
    reference = framemd5(media, decode=True)
    short, long_ = LABEL, LABEL.with_propagator("p", "x" * 200)

    grown = _embed(media, long_, media.with_name("1.mp4"))
    assert grown.stat().st_size > media.stat().st_size
    shrunk = _embed(grown, short, media.with_name("2.mp4"))
    assert shrunk.stat().st_size == grown.stat().st_size  # the difference became a free box
    assert b"free" in [t for t, _ in _boxes(shrunk)]
    regrown = _embed(shrunk, long_, media.with_name("3.mp4"))
    for path, label in ((grown, long_), (shrunk, short), (regrown, long_)):
        assert framemd5(path, decode=True) == reference
        assert labeler_for(path).extract(path).label == label


@pytest.mark.parametrize("media", ["mp4-moov-last"], indirect=True)
def test_mp4_64bit_box_sizes(media: Path) -> None:
    """mdat and moov with 64-bit sizes (as ffmpeg writes past 4 GB: 'free' + 'mdat' become one header)."""
    data = media.read_bytes()
    at = data.index(b"free\x00\x00")  # ffmpeg reserves 8 bytes of 'free' right before 'mdat'
    assert data[at + 8:at + 12] == b"mdat"
    mdat_size = struct.unpack(">I", data[at + 4:at + 8])[0]
    patched = data[:at - 4] + struct.pack(">I4sQ", 1, b"mdat", mdat_size + 8) + data[at + 12:]
    # moov is last here: give it a 64-bit header too (nothing after it moves).
    moov_at = patched.rindex(b"moov") - 4
    moov_size = struct.unpack(">I", patched[moov_at:moov_at + 4])[0]
    patched = patched[:moov_at] + struct.pack(">I4sQ", 1, b"moov", moov_size + 8) + patched[moov_at + 8:]
    media.write_bytes(patched)
    assert (b"mdat", mdat_size + 8) in _boxes(media) and (b"moov", moov_size + 8) in _boxes(media)
    reference = framemd5(media, decode=False)
    labeled = _embed(media, LABEL)
    assert framemd5(labeled, decode=False) == reference
    assert json.loads(ffprobe_tags(labeled)["AIGC"])["AIGC"]["ProduceID"] == "gen-42"


# --- bad input: one clear HeguiError, original untouched ------------------------------------------

def _corrupt(kind: str, data: bytes) -> bytes:
    if kind == "mp3-id3v23":
        return data[:6] + b"\x7f\x7f\xff\x7f" + data[10:]         # size not syncsafe
    if kind == "mp3-id3v24":
        return data[:6] + b"\x7f\x7f\x7f\x7f" + data[10:]         # tag claims 256 MB
    if kind == "wav":
        return data[:16] + struct.pack("<I", 1 << 30) + data[20:]  # fmt chunk past EOF
    if kind == "flac":
        return data[:4] + bytes((0x7F,)) + data[5:]                 # block type 127
    if kind == "mp4-faststart":
        at = data.index(b"moov") - 4
        return data[:at] + struct.pack(">I", 1 << 31) + data[at + 4:]  # moov past EOF
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["mp3-id3v23", "mp3-id3v24", "wav", "flac", "mp4-faststart"])
@pytest.mark.parametrize("damage", ["corrupt", "truncated"])
def test_bad_input_is_one_clear_error(kind: str, damage: str, media_dir: Path, tmp_path: Path) -> None:
    data = (media_dir / KINDS[kind][0]).read_bytes()
    bad = _corrupt(kind, data) if damage == "corrupt" else data[:len(data) // 3]
    if damage == "truncated" and kind.startswith("mp3"):
        bad = data[:20]  # an MP3 cut in the audio is still an MP3; cut inside the tag instead
    src = tmp_path / KINDS[kind][0]
    src.write_bytes(bad)
    labeler = labeler_for(src)
    with pytest.raises(HeguiError) as err:
        labeler.embed(src, tmp_path / "out", LABEL)
    assert str(err.value) and "Traceback" not in str(err.value)
    with pytest.raises(HeguiError):
        labeler.extract(src)
    assert src.read_bytes() == bad, "the original must be untouched"


def test_write_into_missing_directory_is_clear(media_dir: Path, tmp_path: Path) -> None:
    from hegui.labeling.base import atomic_output

    src = media_dir / KINDS["wav"][0]
    with pytest.raises(InputError, match="cannot write"), \
            atomic_output(tmp_path / "no-such-dir" / "out.wav") as tmp:
        labeler_for(src).embed(src, tmp, LABEL)


@pytest.mark.parametrize("media", ["mp4-fragmented"], indirect=True)
def test_mp4_fragment_index_points_at_moofs(media: Path) -> None:
    """After moov grows, every mfra/tfra moof offset still points at a 'moof' box."""
    labeled = _embed(media, LABEL.with_propagator("p", "y" * 300))
    data = labeled.read_bytes()
    with labeled.open("rb") as fh:
        top = bmff.scan_file(fh)
    moofs = {b.offset for b in top if b.box_type == b"moof"}
    mfra = next(b for b in top if b.box_type == b"mfra")
    offsets = []
    for _, box in bmff.walk(data, mfra.start, mfra.end):
        if box.box_type == b"tfra":
            version, sizes = data[box.start], int.from_bytes(data[box.start + 8:box.start + 12], "big")
            width = 8 if version == 1 else 4
            tail = sum(((sizes >> s) & 3) + 1 for s in (4, 2, 0))
            count = int.from_bytes(data[box.start + 12:box.start + 16], "big")
            for n in range(count):
                pos = box.start + 16 + n * (2 * width + tail) + width
                offsets.append(int.from_bytes(data[pos:pos + width], "big"))
    assert offsets and set(offsets) <= moofs


@pytest.mark.parametrize("media", ["wav-id3"], indirect=True)
def test_wav_id3_chunk_carries_the_same_label(media: Path) -> None:
    labeled = _embed(_embed(media, LABEL), OTHER, media.with_name("again.wav"))
    reading = labeler_for(labeled).extract(labeled)
    # No LIST/INFO is added: ffmpeg would then hide the ID3 chunk (and its title) — see wav.py.
    assert sorted(c.name for c in reading.carriers) == ["riff-aigc", "riff-id3-txxx"]
    assert reading.label == OTHER
