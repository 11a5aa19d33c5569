"""The moderation engine: text in, Verdict out — one text, a batch, async, or a generated stream.

Every detector sees the original text; the policy turns their findings into one action.
``ModerationStream`` releases generated text only once a check has covered it with enough right
context that no finding could still complete across the end (see ``Detector.holdback``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from hegui.core.errors import InputError, PayloadTooLargeError
from hegui.core.types import Action, DetectionContext, Detector, Direction, Finding, Verdict
from hegui.moderation.policy import Policy

if TYPE_CHECKING:
    from hegui.core.settings import Settings

DEFAULT_MAX_TEXT_CHARS = 20_000_000
_STOPPING = (Action.REFUSE, Action.BLOCK)
# A check costs about the same for 1 or 30 new characters (it re-reads the held-back tail), so
# streams gather this many before checking again: tokens arrive a few characters at a time.
DEFAULT_CHECK_EVERY = 24
# How much already-released text a holdback computation may look at; bounds the cost per chunk.
_MARGIN_SCAN_CHARS = 65_536


def parse_direction(direction: Direction | str) -> Direction:
    try:
        return Direction(direction)
    except ValueError:
        raise InputError(f"direction must be 'input' or 'output', got {direction!r}") from None


def rewrite_text(text: str, findings: Iterable[Finding], policy: Policy) -> str:
    """``text`` with the spans of ``findings`` hidden by the policy's operator (mask, hash, redact)."""
    from hegui.moderation.pii import mask

    return mask(text, [f for f in findings if f.span is not None], policy.mask_operator,
                salt=policy.mask_salt)


class Moderator:
    """Runs detectors and applies a policy. Thread-safe; ``close()`` releases detector resources."""

    def __init__(self, detectors: Sequence[Detector], policy: Policy, *,
                 max_text_chars: int = DEFAULT_MAX_TEXT_CHARS) -> None:
        self.detectors = tuple(detectors)
        self.policy = policy
        self.max_text_chars = max_text_chars
        self.detector_versions = {d.name: d.version for d in self.detectors}
        self._executor: ThreadPoolExecutor | None = None

    def warm_up(self) -> None:
        """Let every detector load what its first text would wait for (see ``Detector.warm_up``)."""
        for d in self.detectors:
            d.warm_up()

    # ------------------------------------------------------------------ one text

    def check(self, text: str, direction: Direction | str = Direction.INPUT, *,
              language: str | None = None, prompt: str | None = None) -> Verdict:
        """Moderate one text. Empty text passes; text over ``max_text_chars`` is an InputError.

        ``prompt``: for an output check, the user prompt the answer replies to (a remote judge
        reads the exchange as a whole; other detectors ignore it).
        """
        direction = parse_direction(direction)
        self._check_text(text)
        extra = {"prompt": prompt} if prompt is not None else {}
        ctx = DetectionContext(direction=direction, language=language, extra=extra)
        findings = self.detect(text, ctx) if text else []
        return self.verdict(text, findings, direction, language=language)

    def detect(self, text: str, ctx: DetectionContext) -> list[Finding]:
        findings = [f for d in self.detectors for f in d.detect(text, ctx)]
        findings.sort(key=lambda f: (f.span or (-1, -1), f.detector, f.risk))
        return findings

    def verdict(self, text: str, findings: Sequence[Finding], direction: Direction, *,
                language: str | None = None, rewritten: str | None = None) -> Verdict:
        """Apply the policy to ``findings`` of ``text``."""
        decision = self.policy.decide(findings, direction)
        message = None
        if decision.action in _STOPPING:
            lang = self.policy.language_for(text, language)
            message = self.policy.message(decision.action, lang, decision.top_risk)
        if decision.action is Action.REWRITE and rewritten is None:
            rewritten = rewrite_text(text, decision.rewrite_findings, self.policy)
        return Verdict(
            action=decision.action,
            direction=direction,
            findings=tuple(findings),
            risks=decision.risks,
            policy_version=self.policy.version,
            detector_versions=self.detector_versions,
            message=message,
            rewritten=rewritten if decision.action is Action.REWRITE else None,
        )

    def _check_text(self, text: object) -> None:
        if not isinstance(text, str):
            raise InputError(f"text must be a string, got {type(text).__name__}")
        if len(text) > self.max_text_chars:
            raise PayloadTooLargeError(f"text is {len(text):,} characters, over the limit of "
                                       f"{self.max_text_chars:,} (setting max_text_chars)")

    # ------------------------------------------------------------------ async, batch

    @property
    def executor(self) -> ThreadPoolExecutor:
        # Detectors are CPU-bound: async callers get a thread so the event loop keeps serving.
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=os.cpu_count() or 2,
                                                thread_name_prefix="hegui-moderate")
        return self._executor

    async def acheck(self, text: str, direction: Direction | str = Direction.INPUT, *,
                     language: str | None = None, prompt: str | None = None) -> Verdict:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.executor, lambda: self.check(text, direction, language=language, prompt=prompt))

    def check_batch(self, texts: Iterable[str], direction: Direction | str = Direction.INPUT, *,
                    workers: int = 1) -> list[Verdict]:
        """Verdicts in input order. ``workers > 1`` checks in threads (helps detectors that release
        the GIL, e.g. Hyperscan scans)."""
        direction = parse_direction(direction)
        texts = list(texts)
        for text in texts:
            self._check_text(text)
        if workers <= 1 or len(texts) < 2:
            return [self.check(t, direction) for t in texts]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda t: self.check(t, direction), texts))

    # ------------------------------------------------------------------ streams

    def stream(self, direction: Direction | str = Direction.OUTPUT, *, language: str | None = None,
               check_every: int = DEFAULT_CHECK_EVERY) -> ModerationStream:
        """A stream for generated text; see ModerationStream. ``check_every``: new characters to
        gather before checking again (fewer checks, a little more latency)."""
        return ModerationStream(self, parse_direction(direction), language=language,
                                check_every=check_every)

    def holdback(self, text: str) -> int:
        """Trailing characters of ``text`` that some detector still needs to see continued."""
        return max((min(d.holdback(text), len(text)) for d in self.detectors), default=0)

    def close(self) -> None:
        for d in self.detectors:
            d.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None


class ModerationStream:
    """Checks generated text chunk by chunk; never releases a character no check has covered.

    ``feed(chunk)`` returns the text that is now safe to emit (possibly ""), ``finish()`` the rest.
    When the policy stops the text (refuse/block) the stream returns the safe-answer message once and
    nothing after it. Findings are settled only once their right context is complete, so a finding
    the whole text would not have is never acted on; settled findings accumulate over the stream, so
    several weak hits add up just as in ``Moderator.check``.
    """

    def __init__(self, moderator: Moderator, direction: Direction, *, language: str | None = None,
                 check_every: int = DEFAULT_CHECK_EVERY) -> None:
        self.moderator = moderator
        self.check_every = max(1, check_every)
        self._checked_to = 0  # length of the text at the last check
        self.direction = direction
        self.language = language
        self.ctx = DetectionContext(direction=direction, language=language)
        self._text = ""
        self._released = 0  # characters of self._text emitted (or withheld for good, once stopped)
        self._released_parts: list[str] = []
        self._settled: dict[tuple[object, ...], Finding] = {}
        self._verdict: Verdict | None = None
        self.stopped = False
        self.finished = False

    @property
    def text(self) -> str:
        """Everything fed so far (including what was not released)."""
        return self._text

    @property
    def released_text(self) -> str:
        """What the stream has emitted from the generated text (without any refusal message)."""
        return "".join(self._released_parts)

    @property
    def verdict(self) -> Verdict:
        """The final verdict after ``finish()`` or a stop; before that, the verdict on what is settled."""
        if self._verdict is not None:
            return self._verdict
        return self._make_verdict()

    def feed(self, chunk: str) -> str:
        if self.stopped or self.finished:
            return ""
        if not isinstance(chunk, str):
            raise InputError(f"stream chunks must be strings, got {type(chunk).__name__}")
        if not chunk:
            return ""
        limit = self.moderator.max_text_chars
        if len(self._text) + len(chunk) > limit:
            raise PayloadTooLargeError(f"stream is over the limit of {limit:,} characters "
                                       "(setting max_text_chars)")
        self._text += chunk
        if len(self._text) - self._checked_to < self.check_every:
            return ""
        return self._advance(final=False)

    def finish(self) -> str:
        if self.stopped or self.finished:
            return ""
        out = self._advance(final=True)
        if not self.stopped:
            self.finished = True
            self._verdict = self._make_verdict()
        return out

    def _advance(self, *, final: bool) -> str:
        text, start = self._text, self._released
        end = self._checked_to = len(text)
        frontier = end if final else end - self.moderator.holdback(text[start:])
        # Re-read some released text for left context (word boundaries, context rules); findings that
        # start there were settled before, or are artefacts of cutting the window, so they are ignored.
        before = text[max(0, start - _MARGIN_SCAN_CHARS):start]
        window_start = start - self.moderator.holdback(before) if before else start
        window = text[window_start:]
        unsettled_starts = []
        for f in self.moderator.detect(window, self.ctx):
            if f.span is not None:
                s, e = f.span[0] + window_start, f.span[1] + window_start
                if s < start:
                    continue
                if e > frontier:  # its right context is not complete yet: decide later
                    unsettled_starts.append(s)
                    continue
                f = dataclasses.replace(f, span=(s, e))
            self._settled.setdefault((f.detector, f.risk, f.span, f.evidence), f)
        release_to = min([frontier, *unsettled_starts])
        decision = self.moderator.policy.decide(self._settled.values(), self.direction)
        if decision.action in _STOPPING:
            self.stopped = True
            self._verdict = self._make_verdict()
            return self._verdict.message or ""
        # Never cut through a span that is to be masked: masking half an identifier can reveal
        # the digits the other half's mask would hide.
        crossing = [f.span[0] for f in decision.rewrite_findings
                    if f.span is not None and f.span[0] < release_to < f.span[1]]
        while crossing:
            release_to = min(crossing)
            crossing = [f.span[0] for f in decision.rewrite_findings
                        if f.span is not None and f.span[0] < release_to < f.span[1]]
        if release_to <= start:
            return ""
        segment = text[start:release_to]
        to_mask = [_clip(f, start, release_to) for f in decision.rewrite_findings]
        masked = [f for f in to_mask if f is not None]
        if masked:
            segment = rewrite_text(segment, masked, self.moderator.policy)
        self._released = release_to
        self._released_parts.append(segment)
        return segment

    def _make_verdict(self) -> Verdict:
        findings = sorted(self._settled.values(), key=lambda f: (f.span or (-1, -1), f.detector, f.risk))
        return self.moderator.verdict(self._text, findings, self.direction, language=self.language,
                                      rewritten=self.released_text)


def _clip(finding: Finding, start: int, end: int) -> Finding | None:
    """``finding`` with its span clipped to [start, end) and made relative to ``start``."""
    if finding.span is None:
        return None
    s, e = max(finding.span[0], start), min(finding.span[1], end)
    if s >= e:
        return None
    return dataclasses.replace(finding, span=(s - start, e - start))


def build_moderator(settings: Settings) -> Moderator:
    """The Moderator a Settings describes: policy (``policy_path`` or the default), its detectors
    (keyword: seed library unless ``use_seed_lexicon`` is off, plus ``lexicon_paths``), limits."""
    from hegui.moderation.detectors import build_detectors
    from hegui.moderation.policy import load_policy

    policy = load_policy(settings.policy_path)
    return Moderator(build_detectors(policy, settings), policy, max_text_chars=settings.max_text_chars)
