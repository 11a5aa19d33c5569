"""Chunked keyword detection for generated text (see ``KeywordDetector.stream``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hegui.core.types import Finding

if TYPE_CHECKING:
    from hegui.moderation.keyword import KeywordDetector

# How much settled text a stream re-reads at most for left context (bounds the work per chunk; a
# term written with more ignorable characters between its letters than this is not re-read).
_MAX_LEFT_CONTEXT = 4096


class KeywordStream:
    """Chunked detection for generated text: ``feed(chunk)`` returns the findings that are settled
    (no later text can change them), with spans absolute over everything fed; ``close()`` the rest.

    Normalization is per character, so only a bounded tail is re-scanned per chunk: the detector's
    holdback (longest term in significant characters plus the right context its checks read).
    """

    def __init__(self, detector: KeywordDetector) -> None:
        self.detector = detector
        self._text = ""
        self._settled_to = 0  # every finding starting before this has been reported
        self._reported: set[tuple[str, int, int]] = set()

    def feed(self, chunk: str) -> list[Finding]:
        self._text += chunk
        return self._advance(final=False)

    def close(self) -> list[Finding]:
        return self._advance(final=True)

    def _advance(self, *, final: bool) -> list[Finding]:
        text, det = self._text, self.detector
        frontier = len(text) if final else len(text) - det.holdback(text)
        if frontier <= self._settled_to and not final:
            return []
        # Left context too: a hit starting before the window may still reach into it.
        before = text[max(0, self._settled_to - _MAX_LEFT_CONTEXT): self._settled_to]
        window_start = self._settled_to - det.holdback(before)
        out: list[Finding] = []
        settled_to = frontier
        for f in det.detect(text[window_start:]):
            assert f.span is not None
            span = (f.span[0] + window_start, f.span[1] + window_start)
            key = (str(f.meta.get("term")), span[0], span[1])
            if span[0] < self._settled_to or key in self._reported:
                continue
            if span[1] > frontier:  # may still grow or vanish: decide once more text is in
                settled_to = min(settled_to, span[0])
                continue
            self._reported.add(key)
            out.append(Finding(f.detector, f.risk, f.score, span, f.evidence, f.explanation, f.meta))
        self._settled_to = max(self._settled_to, settled_to)
        return out
