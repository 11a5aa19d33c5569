"""The distributing platform's side (Labeling Measures Art. 6; REGULATIONS.md §5.4).

Decision on an uploaded file:
- its metadata says AI-generated      → "confirmed": Label stays as the producer wrote it ("1");
- no metadata, the user declares AI   → "possible":  Label "2";
- neither, but traces are detected    → "suspected": Label "3" (trace = an explicit-label wording in
  text/DOCX/PPTX, or hegui's invisible image watermark);
- none of these                       → "none": nothing is written, the report says "no AI indication".

In the first three cases ContentPropagator / PropagateID are added; producer keys (ContentProducer,
ProduceID, ReservedCode1) are never changed. The matching explicit wording ("AI生成" / "可能为AI生成" /
"疑似AI生成") is returned for the platform to show around the content and is also put into the file
where the format supports it — EXCEPT when the producer signed the content: drawing into it would make
the producer's signature report tampering, so the wording is then shown around the content only.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from hegui.core.errors import LabelError
from hegui.core.ids import provider_code_problem
from hegui.core.label import ContentLabel, LabelValue, ProviderCodeMode, value_problem
from hegui.labeling.api import (
    KeySource,
    PropagateResult,
    as_private_key,
    destination,
    detect_explicit,
    detect_watermark,
    write_implicit,
)
from hegui.labeling.base import labeler_for
from hegui.labeling.explicit import PLATFORM_WORDING, ExplicitOptions, apply_explicit
from hegui.labeling.signing import PREFIX, key_id
from hegui.labeling.watermark import WATERMARK_FORMATS

_DECISION = {"1": "confirmed", "2": "possible", "3": "suspected"}


def _check_platform(platform: str, propagate_id: str, code_mode: ProviderCodeMode) -> None:
    problems = [p for p in (value_problem("ContentPropagator", platform),
                            value_problem("PropagateID", propagate_id)) if p]
    if not platform:
        problems.append("ContentPropagator (the platform's code or name) is required")
    if not propagate_id:
        problems.append("PropagateID is required")
    if code_mode is ProviderCodeMode.STRICT and platform:
        code_problem = provider_code_problem(platform)
        if code_problem:
            problems.append(f"ContentPropagator: {code_problem}")
    if problems:
        raise LabelError("invalid platform fields: " + "; ".join(problems))


def propagate_file(src: Path, *, platform: str, propagate_id: str, user_declared: bool = False,
                   out_dir: Path | str | None = None, in_place: bool = False, explicit: bool = True,
                   explicit_options: ExplicitOptions | None = None,
                   signing_key: KeySource | None = None, overwrite: bool = False,
                   code_mode: ProviderCodeMode | str = ProviderCodeMode.ALLOW_NAME) -> PropagateResult:
    """Decide, label and report for one uploaded file (see the module docstring)."""
    _check_platform(platform, propagate_id, ProviderCodeMode(code_mode))
    labeler = labeler_for(src)
    reading = labeler.extract(src)
    existing = reading.label  # raises LabelError on conflicting duplicates: a platform must not pick one
    checked, trace = detect_explicit(src, labeler.name)
    mark = detect_watermark(src, labeler.name, existing)
    actions: list[str] = []

    if existing is not None:
        value = existing.Label
        reason = f"metadata says Label {value} (producer {existing.ContentProducer or 'unnamed'})"
        if existing.ContentPropagator and existing.ContentPropagator != platform:
            actions.append(f"replaced previous propagator {existing.ContentPropagator} "
                           "(Annex E has one propagator slot)")
        base = existing
    elif user_declared:
        value, reason, base = LabelValue.POSSIBLY.value, "no metadata; the user declared AI content", None
    elif trace or mark is not None:
        value, base = LabelValue.SUSPECTED.value, None
        mark_id = mark["content_id"] if mark is not None else ""
        found = f"explicit label {trace!r}" if trace else f"hegui watermark (content id {mark_id})"
        reason = f"no metadata or declaration; found {found}"
    else:
        note = "no AI indication (no metadata, no user declaration, no explicit label"
        note += "" if checked else " check for this format"
        note += ", no watermark)" if labeler.name in WATERMARK_FORMATS else ")"
        return PropagateResult(src, None, labeler.name, "none", note, None, None, None,
                               ["nothing written"])

    label = (base.with_propagator(platform, propagate_id) if base is not None
             else ContentLabel(Label=value, ContentPropagator=platform, PropagateID=propagate_id))
    wording = PLATFORM_WORDING[value]
    private_key = as_private_key(signing_key)
    dst = destination(src, out_dir, in_place, overwrite)
    producer_signed = label.ReservedCode1.startswith(PREFIX + ".")
    with tempfile.TemporaryDirectory(prefix="hegui-propagate-") as tmp:
        workdir = Path(tmp)
        stage, outcome = src, None
        if explicit and producer_signed:
            actions.append(f"explicit label {wording!r} NOT drawn into the file: it would invalidate the "
                           "producer's signature; show it around the content")
        elif explicit and trace and value == LabelValue.AI_GENERATED.value:
            actions.append(f"explicit label already present ({trace!r}); not added again")
        elif explicit:
            options = dataclasses.replace(explicit_options or ExplicitOptions(), wording=wording)
            drawn = workdir / f"explicit{src.suffix}"
            outcome = apply_explicit(src, drawn, labeler.name, options)
            if outcome.applied:
                stage = drawn
                actions.append(f"explicit label {wording!r} added ({outcome.kind})")
            else:
                actions.append(f"explicit label not added: {outcome.note}")
        written = write_implicit(labeler, stage, dst, label, workdir, private_key, scope="platform")
    actions.append(f"metadata Label {value}, ContentPropagator {platform}, PropagateID {propagate_id}")
    if private_key is not None:
        actions.append("platform signature written to ReservedCode2")
    kid = key_id(private_key.public_key()) if private_key is not None else None  # type: ignore[attr-defined]
    return PropagateResult(src, dst, labeler.name, _DECISION[value], reason, written, outcome, wording,
                           actions, kid)
