"""Explicit (perceivable) labels: text, images, audio, video, PDF and Office documents.

``apply_explicit`` picks the right one for a format name of the implicit labelers ("png", "mp3", …).
Heavy modules (Pillow, pikepdf, ffmpeg) are imported only when used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hegui.labeling.explicit.text import (
    PLATFORM_WORDING,
    SHORT_WORDING,
    TEMPLATES,
    Position,
    add_text_label,
    detect_text_label,
    validate_wording,
    wording_problem,
)

__all__ = [
    "PLATFORM_WORDING", "SHORT_WORDING", "TEMPLATES", "ExplicitOptions", "ExplicitOutcome", "Position",
    "add_text_label", "apply_explicit", "detect_text_label", "validate_wording", "wording_problem",
]

IMAGE_FORMATS = frozenset({"png", "jpeg", "webp", "gif", "tiff"})
AUDIO_FORMATS = frozenset({"wav", "mp3", "flac"})


@dataclass(frozen=True, slots=True)
class ExplicitOptions:
    """How the explicit label looks. ``wording`` None → the template for ``language`` (text, documents)
    or the short "AI生成" (images, video, where space is scarce)."""

    wording: str | None = None
    language: str = "zh"
    text_position: Position = Position.PREFIX
    placement: str = "bottom-right"       # images and video
    height_ratio: float = 0.06            # images and video; ≥ 0.05 enforced
    video_seconds: float = 3.0            # ≥ 2 enforced
    audio_pitch_hz: float = 1000.0
    audio_level_dbfs: float = -12.0
    audio_at_end: bool = False


@dataclass(slots=True)
class ExplicitOutcome:
    applied: bool
    kind: str                 # "text" | "image" | "audio" | "video" | "pdf" | "docx" | "pptx" | "none"
    wording: str | None = None
    note: str = ""
    details: dict[str, object] = field(default_factory=dict)


def _wording(options: ExplicitOptions, *, short: bool) -> str:
    if options.wording is not None:
        return validate_wording(options.wording)
    return SHORT_WORDING if short else TEMPLATES.get(options.language, TEMPLATES["zh"])


def apply_explicit(src: Path, dst: Path, fmt: str, options: ExplicitOptions = ExplicitOptions()) -> (
        ExplicitOutcome):
    """Write ``src`` with an explicit label to ``dst``. When the format has no explicit label, ``dst``
    is left alone and the outcome says why (``applied`` False)."""
    if fmt in IMAGE_FORMATS:
        from hegui.labeling.explicit.image import label_image_file

        wording = _wording(options, short=True)
        drawn = label_image_file(src, dst, wording, placement=options.placement,
                                 height_ratio=options.height_ratio)
        return ExplicitOutcome(True, "image", wording, details={
            "box": list(drawn.box), "text_height_px": drawn.text_height})
    if fmt in AUDIO_FORMATS:
        from hegui.labeling.explicit.audio import RhythmSpec, label_audio_file

        spec = RhythmSpec(pitch_hz=options.audio_pitch_hz, level_dbfs=options.audio_level_dbfs)
        label_audio_file(src, dst, fmt, spec, at_end=options.audio_at_end)
        note = "" if fmt == "wav" else f"{fmt} audio was re-encoded to add the tones"
        return ExplicitOutcome(True, "audio", "短长短短 (Morse AI)", note=note, details={
            "pitch_hz": spec.pitch_hz, "level_dbfs": spec.level_dbfs, "at_end": options.audio_at_end})
    if fmt == "mp4":
        from hegui.labeling.explicit.video import label_video_file, stream_kinds

        kinds = stream_kinds(src)
        if "video" not in kinds and "audio" in kinds:  # .m4a: audio in an MP4 container
            from hegui.labeling.explicit.audio import RhythmSpec, label_audio_file

            spec = RhythmSpec(pitch_hz=options.audio_pitch_hz, level_dbfs=options.audio_level_dbfs)
            label_audio_file(src, dst, "m4a", spec, at_end=options.audio_at_end)
            return ExplicitOutcome(True, "audio", "短长短短 (Morse AI)",
                                   note="audio re-encoded (AAC) to add the tones")

        wording = _wording(options, short=True)
        info = label_video_file(src, dst, wording, seconds=options.video_seconds,
                                placement=options.placement, height_ratio=options.height_ratio)
        return ExplicitOutcome(True, "video", wording, note="video stream re-encoded (H.264); audio copied",
                               details={"seconds": options.video_seconds, "width": info.width,
                                        "height": info.height})
    if fmt == "pdf":
        from hegui.labeling.explicit.documents import label_pdf_file

        wording = _wording(options, short=False)
        label_pdf_file(src, dst, wording)
        return ExplicitOutcome(True, "pdf", wording, details={"page": 1})
    if fmt == "ooxml":
        from hegui.labeling.explicit.documents import label_ooxml_file, ooxml_kind

        wording = _wording(options, short=False)
        kind = ooxml_kind(src)
        why_not = label_ooxml_file(src, dst, wording)
        if why_not:
            return ExplicitOutcome(False, kind, None, note=why_not)
        return ExplicitOutcome(True, kind, wording)
    if fmt == "text":
        from hegui.labeling.explicit.documents import label_text_file

        wording = _wording(options, short=False)
        label_text_file(src, dst, wording, position=options.text_position)
        position = Position(options.text_position).value
        return ExplicitOutcome(True, "text", wording, details={"position": position})
    return ExplicitOutcome(False, "none", None, note=f"no explicit label for {fmt} files; metadata only")
