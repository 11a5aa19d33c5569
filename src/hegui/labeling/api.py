"""The labeling toolkit's Python API — what the CLI and the HTTP endpoints call.

    from hegui.labeling.api import add_label, inspect, propagate
    result = add_label("out.png", out_dir="labeled", producer="001191110102MAD55U9H0F10002")
    print(inspect("labeled/out.png").as_dict())

Order of work in ``add_label``: the explicit label first (it changes the content: it is the producer's
own output), then the implicit metadata, then — last of all — the signature over the content digest of
the final file. Every write is atomic: a failure leaves the original untouched.

hegui offers no way to remove or forge labels: there is no "remove", a producer's label is never
replaced by a different producer, and ``propagate`` never changes producer keys.
"""

from __future__ import annotations

import dataclasses
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hegui.core.errors import InputError, LabelError
from hegui.core.label import ContentLabel, ProviderCodeMode
from hegui.labeling.base import Labeler, atomic_output, labeler_for
from hegui.labeling.explicit import ExplicitOptions, ExplicitOutcome, apply_explicit, detect_text_label
from hegui.labeling.signing import SignatureCheck, SignatureStatus, load_private_key, load_public_key
from hegui.labeling.signing import sign as sign_label
from hegui.labeling.signing import verify as verify_label
from hegui.labeling.watermark import WATERMARK_FORMATS, scan_file, watermark_file

__all__ = ["AddResult", "InspectResult", "PropagateResult", "add_label", "inspect", "propagate"]

KeySource = Path | str | bytes | object
# Text read for explicit-label detection is capped: the label sits at the start or the end.
_TEXT_SCAN_BYTES = 4 * 1024 * 1024


@dataclass(slots=True)
class AddResult:
    src: Path
    dst: Path
    format: str
    label: ContentLabel
    explicit: ExplicitOutcome | None
    key_id: str | None = None
    warnings: list[str] = field(default_factory=list)
    watermark_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"file": str(self.src), "output": str(self.dst), "format": self.format,
                "label": self.label.inner(), "explicit": _outcome_dict(self.explicit),
                "signed": self.key_id is not None, "key_id": self.key_id,
                "watermark_id": self.watermark_id, "warnings": self.warnings}


@dataclass(slots=True)
class InspectResult:
    path: Path
    format: str
    media: str
    label: ContentLabel | None
    carriers: list[dict[str, Any]]
    conflicts: bool
    problems: list[str]
    signature: SignatureCheck
    platform_signature: SignatureCheck
    explicit_label: str | None          # the wording found, for text-like formats
    explicit_checked: bool              # False where we cannot tell (images, audio, video)
    watermark: dict[str, Any] | None = None   # {"content_id", "confidence", "matches_label"}
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.path), "format": self.format, "media": self.media,
            "label": self.label.inner() if self.label else None, "carriers": self.carriers,
            "conflicts": self.conflicts, "problems": self.problems,
            "signature": _check_dict(self.signature),
            "platform_signature": _check_dict(self.platform_signature),
            "explicit_label": self.explicit_label if self.explicit_checked else "not checked",
            "watermark": self.watermark, "warnings": self.warnings,
        }


@dataclass(slots=True)
class PropagateResult:
    src: Path
    dst: Path | None                    # None when nothing was written (no AI indication)
    format: str
    decision: str                       # "confirmed" | "possible" | "suspected" | "none"
    reason: str
    label: ContentLabel | None
    explicit: ExplicitOutcome | None
    display_wording: str | None         # what the platform should show around the content
    actions: list[str] = field(default_factory=list)
    key_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"file": str(self.src), "output": str(self.dst) if self.dst else None,
                "format": self.format, "decision": self.decision, "reason": self.reason,
                "label": self.label.inner() if self.label else None,
                "explicit": _outcome_dict(self.explicit), "display_wording": self.display_wording,
                "actions": self.actions, "signed": self.key_id is not None, "key_id": self.key_id}


def _outcome_dict(outcome: ExplicitOutcome | None) -> dict[str, Any] | None:
    return dataclasses.asdict(outcome) if outcome is not None else None


def _check_dict(check: SignatureCheck) -> dict[str, Any]:
    return {"status": check.status.value, "key_id": check.key_id, "message": check.message}


# ------------------------------------------------------------------------------------------ helpers
def extension_warnings(path: Path, labeler: Labeler) -> list[str]:
    """A file whose extension lies about its content is handled by its content — and we say so."""
    suffix = path.suffix.lower()
    if suffix and labeler.extensions and suffix not in labeler.extensions:
        return [f"{path.name}: the extension {suffix} does not match the content ({labeler.name}); "
                "handled as " + labeler.name]
    return []


def destination(src: Path, out_dir: Path | str | None, in_place: bool, overwrite: bool = False) -> Path:
    """Where the labeled file goes: ``out_dir/<name>`` or ``src`` itself (only with in_place). An
    existing different file in ``out_dir`` is only replaced with ``overwrite`` (no silent data loss)."""
    if in_place == (out_dir is not None):
        raise InputError("give exactly one of an output directory or in-place writing")
    if in_place or out_dir is None:
        return src
    directory = Path(out_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"{directory}: cannot create output directory ({err.strerror or err})") from None
    dst = directory / src.name
    if dst.exists() and dst.resolve() == src.resolve():
        raise InputError(f"{dst}: output would overwrite the original; use in-place writing explicitly")
    if dst.exists() and not overwrite:
        raise InputError(f"{dst}: already exists; choose another output directory or allow overwriting")
    return dst


def as_private_key(key: KeySource | None) -> object | None:
    if key is None or not isinstance(key, Path | str | bytes):
        return key
    return load_private_key(Path(key) if isinstance(key, str) else key)


def as_public_key(key: KeySource | None) -> object | None:
    if key is None or not isinstance(key, Path | str | bytes):
        return key
    return load_public_key(Path(key) if isinstance(key, str) else key)


def write_implicit(labeler: Labeler, stage: Path, dst: Path, label: ContentLabel, workdir: Path,
                   private_key: object | None, scope: str = "producer") -> ContentLabel:
    """Embed ``label`` from ``stage`` into ``dst`` atomically; with a key, sign the content digest of the
    labeled file and embed the label again carrying the token. Returns the label written."""
    with atomic_output(dst) as tmp:
        if private_key is None:
            labeler.embed(stage, tmp, label)
            return label
        unsigned = workdir / f"unsigned{dst.suffix}"
        labeler.embed(stage, unsigned, label)
        digest = labeler.content_digest(unsigned)
        token = sign_label(label, digest, private_key, "producer" if scope == "producer" else "platform")
        key = "ReservedCode1" if scope == "producer" else "ReservedCode2"
        signed = dataclasses.replace(label, **{key: token})
        labeler.embed(unsigned, tmp, signed)
        if labeler.content_digest(tmp) != digest:  # a labeler whose digest covers its own carrier
            raise LabelError(f"{labeler.name}: content digest changed when the label was rewritten; "
                             "cannot sign this format reliably")
        return signed


def _key_id_of(private_key: object | None) -> str | None:
    if private_key is None:
        return None
    from hegui.labeling.signing import key_id

    public = private_key.public_key()  # type: ignore[attr-defined]
    return key_id(public)


# ---------------------------------------------------------------------------------------------- add
def add_label(src: Path | str, *, out_dir: Path | str | None = None, in_place: bool = False,
              producer: str, produce_id: str | None = None, label_value: str = "1",
              explicit: bool = True, explicit_options: ExplicitOptions | None = None,
              signing_key: KeySource | None = None, watermark: bool = False, overwrite: bool = False,
              code_mode: ProviderCodeMode | str = ProviderCodeMode.ALLOW_NAME) -> AddResult:
    """Label one file as its producer: explicit label (optional), invisible watermark (optional, PNG/
    JPEG/WebP/TIFF), implicit metadata, signature (optional) — in that order.

    Refuses to replace another producer's label (that would be tampering); re-labeling by the same
    producer replaces the label (one label per file)."""
    src = Path(src)
    labeler = labeler_for(src)
    label = ContentLabel(Label=label_value, ContentProducer=producer,
                         ProduceID=produce_id if produce_id is not None else uuid.uuid4().hex)
    label.validate(producer_required=True, code_mode=ProviderCodeMode(code_mode))
    existing = labeler.extract(src)
    for old in existing.labels:
        if old.ContentProducer and old.ContentProducer != producer:
            raise LabelError(f"{src}: already labeled by producer {old.ContentProducer!r}; hegui does not "
                             "replace another producer's label")
    if watermark and labeler.name not in WATERMARK_FORMATS:
        raise LabelError(f"{src}: invisible watermarks are available for PNG, JPEG, WebP and TIFF only")
    private_key = as_private_key(signing_key)
    dst = destination(src, out_dir, in_place, overwrite)
    mark_id = None
    with tempfile.TemporaryDirectory(prefix="hegui-label-") as tmp:
        workdir = Path(tmp)
        stage, outcome = src, None
        if explicit:
            drawn = workdir / f"explicit{src.suffix}"
            outcome = apply_explicit(src, drawn, labeler.name, explicit_options or ExplicitOptions())
            if outcome.applied:
                stage = drawn
        if watermark:
            marked = workdir / f"watermarked{src.suffix}"
            mark_id = watermark_file(stage, marked, label.ProduceID)
            stage = marked
        written = write_implicit(labeler, stage, dst, label, workdir, private_key)
    return AddResult(src, dst, labeler.name, written, outcome, _key_id_of(private_key),
                     extension_warnings(src, labeler), mark_id)


# ------------------------------------------------------------------------------------------ inspect
def detect_explicit(path: Path, fmt: str) -> tuple[bool, str | None]:
    """(checked?, wording found) — text-like formats only."""
    if fmt == "text":
        with path.open("rb") as fh:
            head = fh.read(_TEXT_SCAN_BYTES)
        return True, detect_text_label(head.decode("utf-8", errors="replace"))
    if fmt == "ooxml":
        from hegui.labeling.explicit.documents import document_text

        text = document_text(path)
        return (text is not None), (detect_text_label(text) if text else None)
    return False, None


def inspect(path: Path | str, *, public_key: KeySource | None = None,
            platform_key: KeySource | None = None) -> InspectResult:
    """Read and check a file's labels: carriers, conflicts, validity, signatures (the producer's with
    ``public_key``, the platform's with ``platform_key``), explicit label."""
    path = Path(path)
    labeler = labeler_for(path)
    reading = labeler.extract(path)
    carriers = [{"name": c.name, "label": c.label.inner() if c.label else None, "raw": c.raw,
                 "error": c.error} for c in reading.carriers]
    conflicts = reading.conflicting
    label = None if conflicts else reading.label
    problems = [] if label is None else label.problems(producer_required=False)
    if conflicts:
        problems.append("conflicting AIGC labels in one file: " + " | ".join(
            lbl.inner_json() for lbl in dict.fromkeys(reading.labels)))
    key = as_public_key(public_key)
    absent = SignatureCheck(SignatureStatus.ABSENT, message="no label" if label is None else "")
    signature = platform_signature = absent
    if label is not None:
        digest = labeler.content_digest(path)
        signature = verify_label(label, digest, key, "producer")
        platform_signature = verify_label(label, digest, as_public_key(platform_key), "platform")
    checked, wording = detect_explicit(path, labeler.name)
    return InspectResult(path, labeler.name, labeler.media, label, carriers, conflicts, problems,
                         signature, platform_signature, wording, checked,
                         watermark=detect_watermark(path, labeler.name, label),
                         warnings=extension_warnings(path, labeler))


def detect_watermark(path: Path, fmt: str, label: ContentLabel | None) -> dict[str, Any] | None:
    if fmt not in WATERMARK_FORMATS:
        return None
    reading = scan_file(path)
    if reading is None:
        return None
    matches = reading.matches(label.ProduceID) if label is not None and label.ProduceID else None
    return {"content_id": reading.content_id, "confidence": round(reading.confidence, 3),
            "matches_label": matches}


def propagate(path: Path | str, **kwargs: Any) -> PropagateResult:
    """The platform side; see ``hegui.labeling.propagate.propagate_file``."""
    from hegui.labeling.propagate import propagate_file

    return propagate_file(Path(path), **kwargs)
