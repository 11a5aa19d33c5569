"""The keyword detector: finds library terms however they are disguised, with spans into the original.

Pipeline per text: (1) the fast normalizer turns the text into two lenient lanes (every
character-level transformation on; the sound lane also merges homophones) and one multi-pattern scan
per lane finds candidates for every term, initials and split-form variant and allow phrase; (2) where
the text has Latin letters, short windows around them are spelled in pinyin and scanned for
pinyin-spelled terms; (3) EXACT terms are scanned in the raw text; (4) a candidate of a term with
every character-level transformation on is final, any other is verified against the term's own
transformations on the original text (``normalize.verify``); then word boundaries, allow phrases,
context rules and de-duplication. See docs/normalization.md.
"""

from __future__ import annotations

import bisect
import functools
import gc
import logging
import operator
import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from hegui.core.types import DetectionContext, Detector, Finding, significant_tail
from hegui.moderation import keyword_cache
from hegui.moderation.keyword_pinyin import (
    ANCHOR_CHARS,
    PINYIN_TIERS,
    PieceFilter,
    PinyinTier,
    pinyin_matches,
    syllable_pieces,
)
from hegui.moderation.lexicon.model import ALL_TRANSFORMS, ContextRule, Lexicon, MatchMode, Term, Transform
from hegui.moderation.matcher import MatchArrays, Matcher, build_matcher
from hegui.moderation.normalize import batch, fast, verify
from hegui.moderation.normalize.chars import normalize_char_cached, normalize_term
from hegui.moderation.normalize.fast import lane_pattern
from hegui.moderation.normalize.sound import (
    all_readings,
    char_sound,
    polyphonic_chars,
    second_readings,
    sound_of_chars,
)
from hegui.moderation.normalize.verify import MIN_INITIALS_CHARS, TermForms, accept

if TYPE_CHECKING:
    from hegui.moderation.keyword_stream import KeywordStream

log = logging.getLogger(__name__)

# What a compiled pattern stands for: (term index, kind), kind in main | initials | split | pinyin |
# exact; allow phrases use term index -1 - phrase index.
Entry = tuple[int, str]
# Spelled with Latin letters at an edge, a hit must not continue a Latin word ("flg" in "aflgb").
_LATIN_EDGE_VIAS = frozenset({"initials", "pinyin"})
# How a hit spells its term, best first: a finding names the best spelling among overlapping hits.
_VIAS = ("exact", "normalized", "split", "homophone", "pinyin", "initials")
_VIA_RANK = {via: rank for rank, via in enumerate(_VIAS)}
_EXACT, _NORMALIZED, _HOMOPHONE = _VIA_RANK["exact"], _VIA_RANK["normalized"], _VIA_RANK["homophone"]
_LATIN_RUN = re.compile("[a-z]+")


@functools.lru_cache(maxsize=8)
def _syllable_pieces(literal_runs: frozenset[str]) -> PieceFilter:
    """``syllable_pieces`` with every reading as a syllable (small detectors share a few)."""
    syllables = {r for readings in all_readings().values() for r in readings}
    syllables.update(char_sound(d) for d in "0123456789")
    return syllable_pieces(syllables, literal_runs)


# Findings that start together are ordered by (end, risk).
_END_AND_RISK = operator.attrgetter("span", "risk")
# Finding texts kept for this many (term, spelling) pairs at most (see _explain).
_MAX_EXPLAINED = 50_000
# No combining mark (categories Mn, Me) lies below U+0300: most characters need no category lookup.
_FIRST_MARK = "\u0300"
_SOUND_TRANSFORMS = frozenset({Transform.HOMOPHONES, Transform.PINYIN})
_EXTRA_FORMS = frozenset({Transform.INITIALS, Transform.SPLIT})
# The character-level transformations both lanes apply (the sound lane adds HOMOPHONES, which decides
# a term's lane; pinyin spellings, initials and split forms are separate patterns): a term with all
# of them on accepts exactly what its lane matches, so its lane hits need no verification.
_TRUSTED_WITH = frozenset(Transform) - {Transform.HOMOPHONES, Transform.PINYIN, Transform.INITIALS,
                                        Transform.SPLIT}


# A hit: (start, via rank, -end, term index) — a plain tuple whose natural order is the order
# findings are chosen in (by start, best spelling first, longest first): a 100k-term library finds a
# hit every ~500 bytes of ordinary text, and tuples are built and sorted without Python calls.
Hit = tuple[int, int, int, int]


class _Spelling(dict[int, str]):
    """A str.translate table that spells every character it does not know as "#"."""

    def __missing__(self, key: int) -> str:
        return "#"


class _Patterns:
    """Unique byte patterns for one matcher, each with the entries it stands for."""

    def __init__(self) -> None:
        self.index: dict[bytes, int] = {}
        self.entries: list[list[Entry]] | list[tuple[Entry, ...]] = []

    def add(self, pattern: bytes, entry: Entry) -> None:
        idx = self.index.get(pattern)
        entries: list[list[Entry]] = self.entries  # type: ignore[assignment]  # before freeze()
        if idx is not None:
            entries[idx].append(entry)
        elif pattern:
            self.index[pattern] = len(entries)
            entries.append([entry])

    def freeze(self) -> None:
        """Entries as tuples: tuples of ints and strings drop out of the cyclic GC's tracking at its
        next pass, lists never do — and 270k tracked lists make every collection during ``detect``
        walk them (~10 % of the keyword stage with a 100k-term library)."""
        self.entries = [tuple(e) for e in self.entries]

    def longest(self) -> int:
        return max(map(len, self.index), default=0)

    def build(self, backend: str) -> Matcher | None:
        return build_matcher(list(self.index), backend) if self.index else None


class _LaneMatcher:
    """Finds a lane's patterns at whole units (even byte offsets). A two-byte pattern (a one-character
    term) also matches across two units — the second byte of one and the first of the next: a
    100k-term library's few hundred one-character terms made ~2,000 such false matches a MB, each a
    Python callback thrown away. So for a long text the one-unit patterns are looked up in a table
    (unit as scanned → pattern id) and only the longer ones scanned (that matcher compiled on first
    need); a short text gets one scan of them all, cheaper there than the lookup's numpy calls
    (~4 vs ~13 µs a 1 KB message)."""

    def __init__(self, patterns: list[bytes], backend: str) -> None:
        self._patterns, self._backend = patterns, backend
        self.whole = build_matcher(patterns, backend)
        single = [pid for pid, pattern in enumerate(patterns) if len(pattern) == 2]
        self._units: npt.NDArray[np.int32] | None = None
        if single:
            self._units = np.full(0x10000, -1, dtype=np.int32)
            for pid in single:
                self._units[int.from_bytes(patterns[pid], "little")] = pid
        self._longer: Matcher | None = None
        self._lock = threading.Lock()

    def scan(self, data: bytes) -> list[tuple[int, int, int]]:
        """(pattern id, start byte, end byte) of the aligned matches."""
        if self._units is None or len(data) <= _LONG_LANE:
            return [m for m in self.whole.scan(data) if m[1] % 2 == 0]
        return list(zip(*(column.tolist() for column in self.scan_arrays(data)), strict=True))

    def scan_arrays(self, data: bytes) -> MatchArrays:
        """``scan`` of a long lane as arrays (not sorted: the one-unit patterns' matches come last)."""
        units = self._units
        pids, starts, ends = (self.whole if units is None else self._longer_matcher()).scan_arrays(data)
        aligned = (starts & 1) == 0
        pids, starts, ends = pids[aligned], starts[aligned], ends[aligned]
        if units is not None:
            ids = units.take(np.frombuffer(data, dtype="<u2"))
            at = (ids >= 0).nonzero()[0]
            if len(at):
                pids = np.concatenate((pids, ids.take(at).astype(np.int64)))
                starts = np.concatenate((starts, 2 * at))
                ends = np.concatenate((ends, 2 * at + 2))
        return pids, starts, ends

    def _longer_matcher(self) -> Matcher:
        longer = self._longer  # (built once, then only read: no lock needed to read it)
        if longer is None:
            with self._lock:
                if self._longer is None:  # the one-unit patterns emptied (an empty pattern never matches)
                    self._longer = build_matcher([b"" if len(p) == 2 else p for p in self._patterns],
                                                 self._backend)
                longer = self._longer
        return longer

    def warm_up(self) -> None:
        """Build what the first long text would need (the matcher of the longer patterns)."""
        if self._units is not None:
            self._longer_matcher()


class KeywordDetector(Detector):
    """Finds the terms of ``lexicons`` in text (see module doc). Thread-safe for ``detect``."""

    name = "keyword"

    def __init__(self, lexicons: Sequence[Lexicon], backend: str = "auto") -> None:
        self.lexicons = list(lexicons)
        self.version = ",".join(f"{lex.name}@{lex.version}" for lex in self.lexicons) or "none"
        self.terms: list[Term] = [t for lex in self.lexicons for t in lex.terms]
        self._library = [lex.name for lex in self.lexicons for _ in lex.terms]
        # Allow phrases and context words normalized once here, in one vectorized pass.
        rules = [rule for lex in self.lexicons for rule in lex.context]
        words = sorted({p for lex in self.lexicons for p in lex.allow}
                       | {w for r in rules for w in (*r.require_any, *r.exclude_any)})
        norm = dict(zip(words, batch.term_lanes(words).plain, strict=True))
        self._allow = [p for lex in self.lexicons for p in lex.allow if norm[p]]
        self._allow_norm = [norm[p] for p in self._allow]
        self._context: dict[str, list[ContextRule]] = defaultdict(list)
        for rule in rules:
            self._context[rule.term].append(ContextRule(
                rule.term, tuple(norm[w] for w in rule.require_any),
                tuple(norm[w] for w in rule.exclude_any), rule.window))
        self._forms: dict[int, TermForms] = {}
        self._lock = threading.Lock()
        # Per lane ("sound", "plain"): see _trusted_entries.
        self._trusted_tables: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64],
                                              npt.NDArray[np.int64]]] = {}
        self._word_mask: npt.NDArray[np.bool_] | None = None
        self._word = [t.mode is MatchMode.WORD for t in self.terms]
        self._texts = [t.text for t in self.terms]
        self._has_context = [t.text in self._context for t in self.terms]
        self._explained: dict[int, tuple[str, float, str, Mapping[str, str]]] = {}
        self._transforms = [t.transforms for t in self.terms]
        # Hits of these terms in the scan channel need no verification: the channel IS their form.
        self._trusted = [False] * len(self.terms)
        self._plain_forms = [""] * len(self.terms)
        self._plain_patterns = [b""] * len(self.terms)
        # One pattern set per lane: terms with homophones on are looked for in the sound lane, the
        # others (and allow phrases) in the plain lane; pinyin spellings; EXACT terms in the raw text.
        self._sound, self._plain, self._raw = _Patterns(), _Patterns(), _Patterns()
        # Pinyin spellings by tier (see PINYIN_TIERS): [window width, patterns], width = the longest
        # term of the tier in characters.
        self._pinyin_tiers: list[tuple[int, _Patterns]] = [(0, _Patterns())
                                                           for _ in range(len(PINYIN_TIERS) + 1)]
        # Compiling creates ~10 small objects per term; pausing the cyclic GC (they hold no cycles)
        # keeps it from rescanning the whole growing heap again and again.
        gc_was_on = gc.isenabled()
        gc.disable()
        try:
            key = keyword_cache.compiled_key(self.terms, self._allow_norm)
            state = keyword_cache.load(key, len(self.terms), 10)
            if state is not None:
                (self._trusted, self._plain_forms, self._plain_patterns, self._transforms,
                 self._sound, self._plain, self._raw, self._pinyin_tiers, packed, packed_syllables) = state
                piece_filters = [PieceFilter.unpacked(p) for p in packed]
                syllables = PieceFilter.unpacked(packed_syllables)
            else:
                literal_runs = self._compile()
                for patterns in (self._sound, self._plain, self._raw,
                                 *(p for _w, p in self._pinyin_tiers)):
                    patterns.freeze()
                piece_filters = [PieceFilter.of(list(p.index)) for _w, p in self._pinyin_tiers]
                syllables = _syllable_pieces(frozenset(literal_runs))
                keyword_cache.store(key, (self._trusted, self._plain_forms, self._plain_patterns,
                                          self._transforms, self._sound, self._plain, self._raw,
                                          self._pinyin_tiers, [f.packed() for f in piece_filters],
                                          syllables.packed()))
        finally:
            if gc_was_on:
                gc.enable()
        self._sound_matcher = _LaneMatcher(list(self._sound.index), backend) if self._sound.index else None
        self._plain_matcher = _LaneMatcher(list(self._plain.index), backend) if self._plain.index else None
        # The short tiers, scanned around every possible letter piece; the long one only around anchors.
        # The tier holding the anchors also keeps the pieces the long tier's spellings can hold: an
        # anchor is a chunk of a long term, and a letter piece of the term's hit may cross from one
        # chunk into the next (its letters are then no substring of any one anchor).
        piece_filters[-2] = PieceFilter(piece_filters[-2].table | piece_filters[-1].table)
        built = [(patterns, PinyinTier(width, matcher, pieces))
                 for (width, patterns), pieces in zip(self._pinyin_tiers, piece_filters, strict=True)
                 if (matcher := patterns.build(backend)) is not None]
        long_tier = len(self._pinyin_tiers[-1][1].index) > 0
        # Which short letter pieces between non-letters can hold a spelled syllable (keyword_pinyin).
        self._syllable_pieces = syllables
        self._pinyin_matchers = built[:-1] if long_tier else built
        self._long_pinyin = built[-1] if long_tier else None
        self._raw_matcher = self._raw.build(backend)
        window = max((r.window for rules in self._context.values() for r in rules), default=0)
        longest_allow = max((len(p) for p in self._allow_norm), default=0)
        # Significant characters a hit may span (channel chars, pinyin letters, exact chars) plus the
        # right context its checks read (word boundary, context window, an allow phrase around it).
        longest = (self._sound.longest() // 2, self._plain.longest() // 2,
                   max(patterns.longest() for _w, patterns in self._pinyin_tiers), self._raw.longest() // 4)
        self._holdback = (max(longest)
                          + max(window, longest_allow, 1))

    # ------------------------------------------------------------------ compile

    def _compile(self) -> set[str]:
        """Fill the pattern sets; returns the runs of Latin letters that pinyin-spelled terms hold
        literally (see keyword_pinyin.syllable_pieces)."""
        literal_runs: set[str] = set()
        normal = [i for i, t in enumerate(self.terms) if t.mode is not MatchMode.EXACT]
        lanes = batch.term_lanes([self.terms[i].text for i in normal])
        sound_lane, plain_lane = self._sound.add, self._plain.add
        trusted, all_transforms, plain_forms = self._trusted, self._transforms, self._plain_forms
        tiers = self._pinyin_tiers
        polyphonic = polyphonic_chars()
        # Each character's second reading, else its first, else "#": one str.translate per term.
        second_spelling = _Spelling({ord(c): syl for c, syl in sound_of_chars().items()})
        second_spelling.update({ord(c): syl for c, syl in second_readings().items() if syl})
        for k, i in enumerate(normal):
            plain = lanes.plain[k]
            term = self.terms[i]
            if not plain:
                log.warning("term %r of %s normalizes to nothing; skipped", term.text, self._library[i])
                continue
            if len(plain) < 2:  # a single character's homophones are half the language
                all_transforms[i] = term.transforms - _SOUND_TRANSFORMS
            transforms = all_transforms[i]
            homophones = Transform.HOMOPHONES in transforms
            # A character beyond the BMP shares its lane unit with all others: verify those hits.
            trusted[i] = lanes.own_units[k] and transforms >= _TRUSTED_WITH
            plain_forms[i] = plain
            self._plain_patterns[i] = lanes.plain_pattern[k]
            if homophones:
                sound_lane(lanes.sound_pattern[k], (i, "main"))
            else:
                plain_lane(lanes.plain_pattern[k], (i, "main"))
            spelled_too = lanes.has_sound[k] and Transform.PINYIN in transforms
            if spelled_too:
                literal_runs.update(_LATIN_RUN.findall(plain))
                tier = bisect.bisect_left(PINYIN_TIERS, len(plain))
                width, patterns = tiers[tier]
                tiers[tier] = (max(width, len(plain)), patterns)
                spellings = [lanes.spelling[k]]
                if not polyphonic.isdisjoint(plain):
                    # Also spelled with the polyphonic characters' second reading (藏独 is also "zang
                    # du"). (Mixed readings are verified but not looked for; nor are homophones of
                    # second readings: that would double the patterns.)
                    spellings.append(plain.translate(second_spelling))
                if tier < len(PINYIN_TIERS):
                    for spelled in spellings:
                        patterns.add(spelled.encode("ascii"), (i, "pinyin"))
                else:
                    self._add_long_pinyin(i, plain, spellings, second_spelling)
            if not transforms & _EXTRA_FORMS:
                continue
            lane = self._sound if homophones else self._plain
            if Transform.INITIALS in transforms and len(plain) >= MIN_INITIALS_CHARS:
                letters = self._forms_of(i).initials
                if letters:
                    lane.add(lane_pattern(letters), (i, "initials"))
            if Transform.SPLIT in transforms:
                for variant in self._forms_of(i).splits:
                    form = normalize_term(variant)
                    lane.add(lane_pattern(fast.channel_form(form) if homophones else form), (i, "split"))
        for i, term in enumerate(self.terms):
            if term.mode is MatchMode.EXACT:
                self._raw.add(term.text.encode("utf-32-le", "surrogatepass"), (i, "exact"))
        for k, phrase in enumerate(self._allow_norm):
            self._plain.add(lane_pattern(phrase), (-1 - k, "allow"))
        return literal_runs

    def _add_long_pinyin(self, i: int, plain: str, spellings: list[str], second: _Spelling) -> None:
        """A long term's pinyin spellings go to the last tier, and ANCHORS to the one before: the
        spellings of its ``ANCHOR_CHARS``-character chunks (the last one overlapping). A
        pinyin-spelled hit of the term holds a letter, so the chunk holding that letter is a pinyin
        match of its own, found by that tier; the long tier is scanned only around such anchors (see
        keyword_pinyin)."""
        patterns = self._pinyin_tiers[-1][1]
        anchor_width, anchor_tier = self._pinyin_tiers[-2]
        self._pinyin_tiers[-2] = (max(anchor_width, ANCHOR_CHARS), anchor_tier)
        spell_unit = fast.spelling_list()
        per_char = [[spell_unit[ord(c)] if ord(c) < 0x10000 else "#" for c in fast.channel_form(plain)]]
        if len(spellings) > 1:
            per_char.append([second[ord(c)] for c in plain])
        starts = list(range(0, len(plain) - ANCHOR_CHARS + 1, ANCHOR_CHARS))
        if starts[-1] != len(plain) - ANCHOR_CHARS:
            starts.append(len(plain) - ANCHOR_CHARS)
        for pieces, spelled in zip(per_char, spellings, strict=True):
            # (the pattern is the chunks' own concatenation, so an anchor always precedes a match)
            whole = "".join(pieces)
            if whole != spelled:
                log.debug("term %r: per-character spelling differs from the lane's", self.terms[i].text)
            patterns.add(whole.encode("ascii"), (i, "pinyin"))
            for start in starts:
                anchor_tier.add("".join(pieces[start:start + ANCHOR_CHARS]).encode("ascii"), (i, "anchor"))

    def _forms_of(self, i: int) -> TermForms:
        forms = self._forms.get(i)
        if forms is None:  # computed on first need: most terms never see a candidate
            term = self.terms[i]
            forms = self._forms[i] = TermForms.of(term.text, self._transforms[i])
        return forms

    # ------------------------------------------------------------------ detect

    def detect(self, text: str, ctx: DetectionContext | None = None) -> list[Finding]:
        if not text or not self.terms:
            return []
        hits, allowed, channel = self._candidates(text)
        return self._findings(text, hits, allowed, channel)

    def holdback(self, text: str) -> int:
        return significant_tail(text, self._holdback)

    def stream(self) -> KeywordStream:
        from hegui.moderation.keyword_stream import KeywordStream

        return KeywordStream(self)

    def _candidates(self, text: str) -> tuple[list[Hit], list[tuple[int, int]], fast.Channel]:
        hits: list[Hit] = []
        allowed: list[tuple[int, int]] = []
        channel = fast.scan_channel(text)
        plain_data = b""
        for name, patterns, matcher, lane in (("sound", self._sound, self._sound_matcher, channel.sound),
                                              ("plain", self._plain, self._plain_matcher, channel.plain)):
            data = lane.data
            if matcher is None or not data:
                continue
            if lane is channel.plain:
                plain_data = data
            if len(data) > _LONG_LANE:  # a long text: its matches as arrays, the trusted ones vectorized
                pids, starts, ends = matcher.scan_arrays(data)
                if len(pids) >= _VECTORIZED_FROM:
                    found = self._trusted_hits(text, channel, name, (pids, starts, ends), hits)
                else:
                    found = list(zip(pids.tolist(), starts.tolist(), ends.tolist(), strict=True))
            else:
                found = matcher.scan(data)
            entries, trusted, texts, word = patterns.entries, self._trusted, self._texts, self._word
            plain_patterns = self._plain_patterns
            n = len(text)
            for (pid, _sb, _eb), (a, b, start, end) in zip(found, channel.spans(found), strict=True):
                for idx, kind in entries[pid]:
                    if idx < 0:
                        phrase = self._allow_norm[-1 - idx]
                        if _normalized(channel, start, end) == phrase:
                            allowed.append((start, end))
                    elif kind == "main" and trusted[idx]:
                        # The lanes ARE this term's form: no verification; just name the spelling.
                        if text[start:end] == texts[idx]:
                            via = _EXACT
                        elif (plain_data or (plain_data := channel.plain.data))[2 * a:2 * b] \
                                == plain_patterns[idx]:
                            # (trusted terms have a lane unit per character: bytes compare exactly)
                            via = _NORMALIZED
                        else:
                            via = _HOMOPHONE
                        # (inlined _accept_trusted: this runs for most hits)
                        stop = (_extend_over_marks(text, end)
                                if end < n and text[end] >= _FIRST_MARK and _is_mark(text[end]) else end)
                        if not word[idx] or _word_bounded(text, start, stop):
                            hits.append((start, via, -stop, idx))
                    else:
                        self._verify(text, idx, start, end, hits)
        if self._pinyin_matchers or self._long_pinyin is not None:
            self._pinyin_candidates(text, channel, hits)
        if self._raw_matcher is not None:
            raw = text.encode("utf-32-le", "surrogatepass")  # offsets // 4 are character indexes
            for pid, sb, eb in self._raw_matcher.scan(raw):
                if sb % 4 == 0:
                    for idx, _kind in self._raw.entries[pid]:
                        hits.append((sb // 4, _EXACT, -(eb // 4), idx))
        return hits, allowed, channel

    def _trusted_hits(self, text: str, channel: fast.Channel, lane: str, found: MatchArrays,
                      hits: list[Hit]) -> list[tuple[int, int, int]]:
        """The loop above, vectorized for the many matches of a long text whose pattern stands only
        for main forms of trusted terms (most of them): their hits are added to ``hits``; the other
        matches are returned for the loop."""
        pids, match_starts, match_ends = found
        first_entry, counts, entry_terms = self._trusted_entries(lane)
        simple = counts.take(pids) > 0
        other = ~simple
        rest = list(zip(pids[other].tolist(), match_starts[other].tolist(), match_ends[other].tolist(),
                        strict=True))
        if not simple.any():
            return rest
        # One row per (match, term): the match's span repeated for each term its pattern stands for.
        simple_pids = pids[simple]
        per_match = counts.take(simple_pids)
        row_of = np.repeat(np.arange(len(per_match)), per_match)
        offsets = np.arange(len(row_of)) - np.repeat(np.cumsum(per_match) - per_match, per_match)
        terms = entry_terms.take(first_entry.take(simple_pids)[row_of] + offsets)
        first = (match_starts[simple] // 2)[row_of]
        after = (match_ends[simple] // 2)[row_of]
        origin = channel.origin
        starts = origin[first]
        ends = origin[after - 1] + 1
        # A combining mark right after a hit belongs to it (normalization dropped it, so the next
        # lane character does not come from there); a WORD term must not continue a Latin word:
        # both checked in Python, for the few hits concerned.
        at_end = after >= len(origin)
        check = (at_end | (origin[np.where(at_end, 0, after)] != ends)) | self._word_array()[terms]
        text_, texts, plain_patterns = text, self._texts, self._plain_patterns
        plain = channel.plain.data
        s_list, e_list, t_list = starts.tolist(), ends.tolist(), terms.tolist()
        vias = [_EXACT if text_[s:e] == texts[i] else _NORMALIZED if plain[2 * a:2 * b] == plain_patterns[i]
                else _HOMOPHONE
                for s, e, i, a, b in zip(s_list, e_list, t_list, first.tolist(), after.tolist(), strict=True)]
        neg_stops = (-ends).tolist()
        dropped: set[int] = set()
        word, n = self._word, len(text_)
        for k in np.flatnonzero(check).tolist():
            s, e, i = s_list[k], e_list[k], t_list[k]
            stop = (_extend_over_marks(text_, e)
                    if e < n and text_[e] >= _FIRST_MARK and _is_mark(text_[e]) else e)
            if word[i] and not _word_bounded(text_, s, stop):
                dropped.add(k)
            neg_stops[k] = -stop
        found_hits = zip(s_list, vias, neg_stops, t_list, strict=True)
        hits.extend(found_hits if not dropped else (h for k, h in enumerate(found_hits) if k not in dropped))
        return rest

    def _trusted_entries(self, lane: str
                         ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """For each pattern of a lane, the terms it stands for when all its entries are main forms
        of trusted terms (whose lane hits need no verification): (first index into the third array,
        count — 0 for any other pattern —, the terms). Built on first need (a long text, or
        ``warm_up``)."""
        tables = self._trusted_tables.get(lane)  # (built once, then only read)
        if tables is not None:
            return tables
        with self._lock:
            tables = self._trusted_tables.get(lane)
            if tables is None:
                patterns = self._sound if lane == "sound" else self._plain
                n = len(patterns.entries)
                first = np.zeros(n, dtype=np.int64)
                counts = np.zeros(n, dtype=np.int64)
                terms: list[int] = []
                trusted = self._trusted
                for pid, entries in enumerate(patterns.entries):
                    if all(idx >= 0 and kind == "main" and trusted[idx] for idx, kind in entries):
                        first[pid], counts[pid] = len(terms), len(entries)
                        terms.extend(idx for idx, _kind in entries)
                tables = self._trusted_tables[lane] = (first, counts, np.asarray(terms, dtype=np.int64))
            return tables

    def _word_array(self) -> npt.NDArray[np.bool_]:
        word = self._word_mask
        if word is None:
            word = self._word_mask = np.asarray(self._word, dtype=np.bool_)
        return word

    def warm_up(self) -> None:
        """Build what the first texts would need: the vectorized hit tables and the lane matchers of
        the longer patterns (a long text looks its one-character terms up in a table), and the
        verification's tables."""
        for lane, matcher in (("sound", self._sound_matcher), ("plain", self._plain_matcher)):
            if matcher is not None:
                self._trusted_entries(lane)
                matcher.warm_up()
        self._word_array()
        verify.warm_up()  # and what the first candidate's verification reads

    def _pinyin_candidates(self, text: str, channel: fast.Channel, hits: list[Hit]) -> None:
        tiers = self._pinyin_matchers
        anchors: list[tuple[int, int]] = []
        syllables = self._syllable_pieces
        for tier, pid, start, end in pinyin_matches(channel, [t for _p, t in tiers], syllables=syllables):
            for idx, kind in tiers[tier][0].entries[pid]:
                if kind == "anchor":
                    anchors.append((start, end))
                else:
                    self._verify(text, idx, start, end, hits)
        if anchors and self._long_pinyin is not None:
            patterns, long_tier = self._long_pinyin
            for _tier, pid, start, end in pinyin_matches(channel, [long_tier], around=anchors,
                                                          syllables=syllables):
                for idx, _kind in patterns.entries[pid]:
                    self._verify(text, idx, start, end, hits)

    def _verify(self, text: str, idx: int, start: int, end: int, hits: list[Hit]) -> None:
        end = _extend_over_marks(text, end)
        via = accept(text[start:end], self._forms_of(idx))
        if via is None:
            return
        term = self.terms[idx]
        if (term.mode is MatchMode.WORD or via in _LATIN_EDGE_VIAS) and not _word_bounded(text, start, end):
            return
        hits.append((start, _VIA_RANK[via], -end, idx))

    def _findings(self, text: str, hits: list[Hit], allowed: list[tuple[int, int]],
                  channel: fast.Channel) -> list[Finding]:
        if not hits:
            return []
        # An allowed span covers a hit when it starts at or before it and reaches at least its end:
        # allowed spans sorted by start, the furthest end so far, one bisection per hit.
        allowed.sort()
        allow_starts = [a for a, _b in allowed]
        reach: list[int] = []
        for _a, b in allowed:
            reach.append(max(b, reach[-1]) if reach else b)
        hits.sort()  # by start, best spelling first, longest first
        last_end: dict[int, int] = {}  # term -> end of its last kept hit
        has_context, explained, name = self._has_context, self._explained, self.name
        out: list[Finding] = []
        shared: list[int] = []  # where a kept hit starts where the one before it does
        previous_start = -1
        for start, rank, neg_end, term in hits:
            if last_end.get(term, -1) > start:
                continue  # overlapping hit of the same term: one finding
            end = -neg_end
            if allowed:
                k = bisect.bisect_right(allow_starts, start)
                if k and reach[k - 1] >= end:
                    continue
            if has_context[term] and not self._context_ok(channel, term, start, end):
                continue
            last_end[term] = end
            if start == previous_start:
                shared.append(len(out))
            previous_start = start
            parts = explained.get(term * 8 + rank) or self._explain(term, rank)
            out.append(Finding(name, parts[0], parts[1], (start, end), text[start:end], parts[2], parts[3]))
        if shared:  # findings are ordered by (span, risk): reorder each group of findings starting together
            first = shared[0] - 1
            for k, at in enumerate(shared):
                if k + 1 == len(shared) or shared[k + 1] != at + 1:  # the group's last finding
                    out[first:at + 1] = sorted(out[first:at + 1], key=_END_AND_RISK)
                    if k + 1 < len(shared):
                        first = shared[k + 1] - 1
        return out

    def _context_ok(self, channel: fast.Channel, term: int, start: int, end: int) -> bool:
        for rule in self._context.get(self.terms[term].text, ()):
            around = _normalized(channel, max(0, start - rule.window), end + rule.window)
            if rule.require_any and not any(w in around for w in rule.require_any):
                return False
            if any(w in around for w in rule.exclude_any):
                return False
        return True

    def _explain(self, idx: int, rank: int) -> tuple[str, float, str, Mapping[str, str]]:
        """(risk, score, explanation, meta) of a finding of term ``idx`` spelled ``via``: the same few
        terms fire again and again, so these are built once (up to a bound) and shared — the meta
        read-only (a dict a finding cost ~1 µs of ~5, with 1.8 findings a KB of a 100k-term library)."""
        term = self.terms[idx]
        library = self._library[idx]
        via = _VIAS[rank]
        how = "" if via == "exact" else f", via {via}"
        meta = MappingProxyType({"term": term.text, "library": library, "via": via})
        parts = (term.risk, term.weight, f"term '{term.text}' ({library}{how})", meta)
        if len(self._explained) >= _MAX_EXPLAINED:
            self._explained.clear()
        self._explained[idx * 8 + rank] = parts
        return parts


# Lane bytes (two a character) from which a text is long: one-unit patterns are looked up in a table,
# not scanned, and the matches come as arrays (``_LaneMatcher.scan_arrays``).
_LONG_LANE = 2 * 2048
# Matches of one lane scan from which the trusted ones are handled with numpy (``_trusted_hits``):
# below, the per-call cost of a dozen numpy steps outweighs the Python per match it saves.
_VECTORIZED_FROM = 256


def _normalized(channel: fast.Channel, start: int, end: int) -> str:
    """``normalize_term(text[start:end])`` read off the channel: normalization is per character, so
    it is the normalized characters that came from original characters ``start`` to ``end``."""
    lo, hi = np.searchsorted(channel.origin, (start, end)).tolist()
    return channel.plain_between(lo, hi)


def _extend_over_marks(text: str, end: int) -> int:
    """Combining marks after the last matched character belong to it (法̶轮̶功̶)."""
    while end < len(text) and _is_mark(text[end]):
        end += 1
    return end


@functools.lru_cache(maxsize=1 << 14)
def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Me")


def _word_bounded(text: str, start: int, end: int) -> bool:
    """The hit does not continue a Latin word or number on either side (looking through marks)."""
    return not (_latin_at(text, start - 1, -1) or _latin_at(text, end, 1))


def _latin_at(text: str, i: int, step: int) -> bool:
    while 0 <= i < len(text):
        norm = normalize_char_cached(text[i], ALL_TRANSFORMS)
        if norm:
            c = norm[0] if step > 0 else norm[-1]
            return c.isascii() and c.isalnum()
        if not _is_mark(text[i]):
            return False
        i += step
    return False

