"""The implicit AIGC label of GB 45438-2025 Annex E: one JSON object ``{"AIGC": {...}}`` per file.

Value characters are limited to printable ASCII 0x21, 0x23–0x5B, 0x5D–0x7E (no space, quote or
backslash). Which keys are mandatory is disputed (REGULATIONS.md §5.2), so strictness is a
parameter: ``Label`` is always required; producer keys are required for producers.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from hegui.core.errors import LabelError
from hegui.core.ids import provider_code_problem

KEYS: tuple[str, ...] = (
    "Label", "ContentProducer", "ProduceID", "ReservedCode1",
    "ContentPropagator", "PropagateID", "ReservedCode2",
)
_VALUE_RE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]*")


class LabelValue(enum.StrEnum):
    AI_GENERATED = "1"  # metadata says AI-generated
    POSSIBLY = "2"      # user declared it, no metadata
    SUSPECTED = "3"     # traces detected (explicit label, watermark), no metadata or declaration


class ProviderCodeMode(enum.StrEnum):
    """How ContentProducer / ContentPropagator values are checked."""

    STRICT = "strict"      # must be a valid 27-character provider code
    ALLOW_NAME = "allow-name"  # a provider code, or a plain name in the allowed character set


def value_problem(key: str, value: str) -> str | None:
    if not _VALUE_RE.fullmatch(value):
        bad = next(c for c in value if not _VALUE_RE.fullmatch(c))
        return (f"{key}: character {bad!r} (U+{ord(bad):04X}) is outside the allowed set "
                "(printable ASCII without space, '\"' and '\\')")
    return None


@dataclass(frozen=True, slots=True)
class ContentLabel:
    Label: str = LabelValue.AI_GENERATED.value
    ContentProducer: str = ""
    ProduceID: str = ""
    ReservedCode1: str = ""
    ContentPropagator: str = ""
    PropagateID: str = ""
    ReservedCode2: str = ""

    def problems(self, *, producer_required: bool = True,
                 code_mode: ProviderCodeMode = ProviderCodeMode.ALLOW_NAME) -> list[str]:
        """Everything wrong with this label (empty list if it is valid)."""
        out: list[str] = []
        if self.Label not in {v.value for v in LabelValue}:
            out.append(f"Label must be '1', '2' or '3', got {self.Label!r}")
        for key in KEYS:
            p = value_problem(key, getattr(self, key))
            if p:
                out.append(p)
        if producer_required:
            for key in ("ContentProducer", "ProduceID"):
                if not getattr(self, key):
                    out.append(f"{key} is required for a producer's label")
        if code_mode is ProviderCodeMode.STRICT:
            for key in ("ContentProducer", "ContentPropagator"):
                value = getattr(self, key)
                if value:
                    p = provider_code_problem(value)
                    if p:
                        out.append(f"{key}: {p}")
        return out

    def validate(self, **kwargs: Any) -> ContentLabel:
        problems = self.problems(**kwargs)
        if problems:
            raise LabelError("invalid AIGC label: " + "; ".join(problems))
        return self

    def inner(self) -> dict[str, str]:
        """The inner object, keys in Annex E order (empty optional keys kept: readers expect all 7)."""
        return asdict(self)

    def to_json(self) -> str:
        """The full ``{"AIGC": {...}}`` document, compact, ASCII only."""
        return json.dumps({"AIGC": self.inner()}, ensure_ascii=True, separators=(",", ":"))

    def inner_json(self) -> str:
        return json.dumps(self.inner(), ensure_ascii=True, separators=(",", ":"))

    def with_propagator(self, propagator: str, propagate_id: str, label: str | None = None) -> ContentLabel:
        return replace(self, ContentPropagator=propagator, PropagateID=propagate_id,
                       Label=label if label is not None else self.Label)

    @classmethod
    def from_obj(cls, obj: Any) -> ContentLabel:
        """Parse ``{"AIGC": {...}}`` or the inner object. Raises LabelError on anything else."""
        if isinstance(obj, dict) and "AIGC" in obj and len(obj) == 1:
            obj = obj["AIGC"]
        if not isinstance(obj, dict):
            raise LabelError("AIGC label is not a JSON object")
        unknown = sorted(set(obj) - set(KEYS))
        if unknown:
            raise LabelError(f"AIGC label has unknown keys: {', '.join(unknown)}")
        if "Label" not in obj:
            raise LabelError("AIGC label has no 'Label' key")
        values: dict[str, str] = {}
        for key, value in obj.items():
            if not isinstance(value, str):
                raise LabelError(f"AIGC label key {key} must be a string, got {type(value).__name__}")
            values[key] = value
        return cls(**values)

    @classmethod
    def from_json(cls, text: str | bytes) -> ContentLabel:
        try:
            obj = json.loads(text)
        except (ValueError, UnicodeDecodeError) as err:
            raise LabelError(f"AIGC label is not valid JSON: {err}") from None
        return cls.from_obj(obj)
