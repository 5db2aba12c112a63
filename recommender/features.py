"""Features — one code path for training and serving.

Item side (``encode_item``): tag ids (zone name + listing tags), UP主 id, title token ids, and
the quality vector. User side (``WatchContext``): the recent watch sequence (UP主 and zone ids,
oldest first) and affinity numbers (how often the user watched/engaged with this UP主 and zone,
and how many of the title's words appear in titles they engaged with). In training the context
holds the watches strictly before a sample's anchor; at serving it holds the whole history, so
every candidate sees the user's real latest watches.

Ids: 0 is padding (masked in the model), 1 is "unknown" (out of vocabulary); real ids start at 2.
Quality: log-ratios (like/view, coin/view, favourite/view, comments/view), log views and log
duration, standardized with fixed reference figures of ordinary Bilibili videos; a missing count
gives 0 (the reference mean), so feed candidates without coin counts cope.

Same features at training and serving: listings differ in which counts they carry (watch history
none unless enriched; the feed no favourites), so training decides which count *fields* carried
information in both classes (``choose_fields``) and records them in the vocabulary; every
encoding — training rows and serving candidates alike — first blanks the other fields
(``mask_video``). A count the model never saw varying therefore cannot act at serving.

Prior: the content-affinity score (the hand-written fallback ranker, ``affinity_score``) of the
masked video, as a logit; the model adds a learnt correction to it (see models.wide_deep).
"""
from __future__ import annotations

import json
import math
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import Iterable, Sequence

import numpy as np

from models import (MAX_SEQ, MAX_TAGS, MAX_TITLE, N_AFFINITY, N_QUALITY, PAD_ID, UNKNOWN_ID,
                    ModelSpec)
from recommender.labels import POSITIVE_THRESHOLD, Sample, interest, watch_events
from recommender.text import title_tokens, titles_tokens, watch_titles_tokens
from domain import Video, WatchRecord

FIRST_REAL_ID = 2
# fixed embedding-table sizes: every user's model has the same shapes, so one traced training
# graph serves every job, warm starts copy weights as they are, and a model file stays < 1 MB
TAG_CAPACITY = 512
AUTHOR_CAPACITY = 2048
TOKEN_CAPACITY = 4096
VOCAB_FORMAT = 2
# encoded candidate rows one serving context keeps (encode_candidates' memo): the popular list
# and a few feed pages; beyond that it is mostly old feed videos that are not asked again
MEMO_CAPACITY = 512
# which affinity columns describe the UP主, the zone and the title words (for reasons)
AFFINITY_AUTHOR = [0, 1, 2, 8]
AFFINITY_ZONE = [3, 4, 6]
AFFINITY_KEYWORDS = [5, 7]
# (mean, std) of each quality feature on ordinary videos: log10 views, ln like/view,
# ln coin/view, ln favourite/view, ln (reply+danmaku)/view, ln(1 + minutes)
QUALITY_REFERENCE = ((4.5, 1.2), (-3.3, 0.8), (-4.8, 1.0), (-4.2, 0.9), (-4.0, 1.0), (1.8, 0.9))
QUALITY_CLIP = 4.0
# how much each standardized quality feature adds to the scalar quality score
QUALITY_WEIGHTS = (0.35, 0.6, 0.45, 0.45, 0.15, 0.0)
# the count fields a listing may or may not carry ("comments" = reply or danmaku)
COUNT_FIELDS = ("view", "like", "coin", "favorite", "comments", "duration")
# a field is used only when at least this share of the positives and of the negatives carry it
FIELD_MIN_RATE = 0.5
PRIOR_CLIP = 1e-3


def video_tags(video: Video) -> list[str]:
    """Zone name first, then the listing's tags; lower-cased, de-duplicated, non-empty."""
    out: dict[str, None] = {}
    for tag in (video.tname, *video.tags):
        tag = (tag or "").strip().lower()
        if tag:
            out.setdefault(tag, None)
    return list(out)


def present_fields(video: Video) -> frozenset[str]:
    """The count fields this record carries."""
    present = set()
    if video.view is not None:
        present.add("view")
    for name in ("like", "coin", "favorite"):
        if getattr(video, name) is not None:
            present.add(name)
    if video.reply is not None or video.danmaku is not None:
        present.add("comments")
    if video.duration > 0:
        present.add("duration")
    return frozenset(present)


def mask_video(video: Video, fields: Iterable[str]) -> Video:
    """The record with every count field outside ``fields`` blanked (as if never listed)."""
    keep = set(fields)
    blank: dict = {}
    for name in ("view", "like", "coin", "favorite"):
        if name not in keep and getattr(video, name) is not None:
            blank[name] = None
    if "comments" not in keep and (video.reply is not None or video.danmaku is not None):
        blank.update(reply=None, danmaku=None)
    if "duration" not in keep and video.duration:
        blank["duration"] = 0
    return replace(video, **blank) if blank else video


def choose_fields(positives: Sequence[Video], negatives: Sequence[Video]) -> tuple[str, ...]:
    """The count fields carried by at least FIELD_MIN_RATE of each class (see module doc).

    The ratios need the view count, so without "view" only "duration" can remain.
    """
    if not positives or not negatives:
        return ()
    rates = []
    for group in (positives, negatives):
        counts = Counter(f for video in group for f in present_fields(video))
        rates.append({f: counts[f] / len(group) for f in COUNT_FIELDS})
    chosen = [f for f in COUNT_FIELDS if min(r[f] for r in rates) >= FIELD_MIN_RATE]
    if "view" not in chosen:
        chosen = [f for f in chosen if f == "duration"]
    return tuple(chosen)


def _ratio(count: int | None, view: int | None) -> float | None:
    if count is None or view is None or view <= 0:
        return None
    return math.log((count + 1.0) / (view + 1.0))


def quality_features(video: Video, fields: Iterable[str] | None = None) -> np.ndarray:
    """Standardized quality vector (N_QUALITY floats, finite; 0 where a count is missing).

    With ``fields``, the vector of ``mask_video(video, fields)`` (counts outside them read as
    missing), without building the masked copy."""
    keep = COUNT_FIELDS if fields is None else fields
    view = video.view if "view" in keep and video.view is not None and video.view >= 0 else None
    comments = None
    if "comments" in keep and (video.reply is not None or video.danmaku is not None):
        comments = (video.reply or 0) + (video.danmaku or 0)
    duration = video.duration if "duration" in keep else 0
    raw = (
        math.log10(view + 1.0) if view is not None else None,
        _ratio(video.like if "like" in keep else None, view),
        _ratio(video.coin if "coin" in keep else None, view),
        _ratio(video.favorite if "favorite" in keep else None, view),
        _ratio(comments, view),
        math.log1p(duration / 60.0) if duration > 0 else None,
    )
    out = np.zeros(N_QUALITY, dtype=np.float32)
    for i, (value, (mean, std)) in enumerate(zip(raw, QUALITY_REFERENCE)):
        if value is not None and math.isfinite(value):
            out[i] = max(-QUALITY_CLIP, min(QUALITY_CLIP, (value - mean) / std))
    return out


def quality_score(video: Video) -> float:
    """A 0..1 quality score from the standardized vector; varies across ordinary videos."""
    return quality_score_of(quality_features(video))


def quality_score_of(z: np.ndarray) -> float:
    """``quality_score`` from the video's quality vector."""
    present = [w for w, value in zip(QUALITY_WEIGHTS, z.tolist()) if value != 0.0 and w]
    if not present:
        return 0.5
    logit = float(np.dot(QUALITY_WEIGHTS, z)) / max(1.0, sum(present))
    return 1.0 / (1.0 + math.exp(-1.5 * logit))


@dataclass
class Vocabulary:
    """Per-user vocabularies (id = FIRST_REAL_ID + position) and the count fields the model
    uses (``fields``; every other count is blanked before encoding). Score calibrations live
    in the serving plan (recommender.selection), one per ranker."""

    tags: list[str] = field(default_factory=list)
    authors: list[int] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    fields: tuple[str, ...] = COUNT_FIELDS

    def __post_init__(self) -> None:
        self._tag_ids = {t: i + FIRST_REAL_ID for i, t in enumerate(self.tags)}
        self._author_ids = {a: i + FIRST_REAL_ID for i, a in enumerate(self.authors)}
        self._token_ids = {t: i + FIRST_REAL_ID for i, t in enumerate(self.tokens)}

    def tag_id(self, tag: str) -> int:
        return self._tag_ids.get(tag, UNKNOWN_ID)

    def author_id(self, mid: int) -> int:
        if not mid:
            return PAD_ID
        return self._author_ids.get(int(mid), UNKNOWN_ID)

    def token_id(self, token: str) -> int:
        return self._token_ids.get(token, UNKNOWN_ID)

    def table_rows(self) -> tuple[int, int, int]:
        """How many rows of the tag, UP主 and token embedding tables these vocabularies can
        address (padding, unknown and the real ids): serving keeps only those."""
        return (FIRST_REAL_ID + len(self.tags), FIRST_REAL_ID + len(self.authors),
                FIRST_REAL_ID + len(self.tokens))

    def spec(self) -> ModelSpec:
        """The model's sizes: the fixed table capacities (the vocabularies never exceed them)."""
        return ModelSpec(n_tags=TAG_CAPACITY, n_authors=AUTHOR_CAPACITY, n_tokens=TOKEN_CAPACITY)

    def to_json(self) -> str:
        return json.dumps({"format": VOCAB_FORMAT, "tags": self.tags, "authors": self.authors,
                           "tokens": self.tokens, "fields": list(self.fields)},
                          ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Vocabulary":
        data = json.loads(text)
        if data.get("format") != VOCAB_FORMAT:
            raise ValueError(f"unsupported vocabulary format {data.get('format')!r}")
        fields = tuple(str(f) for f in data["fields"] if f in COUNT_FIELDS)
        return cls([str(t) for t in data["tags"]], [int(a) for a in data["authors"]],
                   [str(t) for t in data["tokens"]], fields)


def build_vocabulary(videos: Iterable[Video], *, previous: Vocabulary | None = None,
                     min_count: int = 2, fields: Sequence[str] = COUNT_FIELDS) -> Vocabulary:
    """Vocabularies of the values seen in at least ``min_count`` videos, most frequent first.

    With ``previous`` (warm start) every old entry keeps its id and new entries are appended,
    so the old embedding rows stay valid; the table capacities bound the vocabularies.
    """
    tag_counts: Counter[str] = Counter()
    author_counts: Counter[int] = Counter()
    token_counts: Counter[str] = Counter()
    unique: dict[str, Video] = {}
    for video in videos:  # one count per video, however many samples it appears in
        unique.setdefault(video.bvid, video)
    for video, tokens in zip(unique.values(),
                             titles_tokens(video.title for video in unique.values())):
        tag_counts.update(video_tags(video))
        if video.owner_mid:
            author_counts[int(video.owner_mid)] += 1
        token_counts.update(tokens)

    def grow(old: list, counts: Counter, cap: int) -> list:
        kept = list(old)[:cap]
        known = set(kept)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        for value, count in ranked:
            if len(kept) >= cap:
                break
            if count >= min_count and value not in known:
                kept.append(value)
                known.add(value)
        return kept

    old = previous or Vocabulary()
    return Vocabulary(grow(old.tags, tag_counts, TAG_CAPACITY - FIRST_REAL_ID),
                      grow(old.authors, author_counts, AUTHOR_CAPACITY - FIRST_REAL_ID),
                      grow(old.tokens, token_counts, TOKEN_CAPACITY - FIRST_REAL_ID),
                      fields=tuple(fields))


@dataclass(frozen=True)
class ItemFeatures:
    """The candidate-side inputs of one video."""

    tags: np.ndarray      # int32 [MAX_TAGS]
    author: int
    title: np.ndarray     # int32 [MAX_TITLE]
    quality: np.ndarray   # float32 [N_QUALITY]


def encode_item(video: Video, vocab: Vocabulary,
                quality: np.ndarray | None = None) -> ItemFeatures:
    """Candidate-side features; identical in training and serving for the same video.

    ``video`` must already be masked to ``vocab.fields``, or ``quality`` be its masked quality
    vector (``encode_row`` does that).
    """
    tags = np.zeros(MAX_TAGS, dtype=np.int32)
    for i, tag in enumerate(video_tags(video)[:MAX_TAGS]):
        tags[i] = vocab.tag_id(tag)
    title = np.zeros(MAX_TITLE, dtype=np.int32)
    for i, token in enumerate(title_tokens(video.title)[:MAX_TITLE]):
        title[i] = vocab.token_id(token)
    if quality is None:
        quality = quality_features(video)
    return ItemFeatures(tags, vocab.author_id(video.owner_mid), title, quality)


class WatchContext:
    """What the user had watched up to some moment: the sequence and the affinity counters."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self._recent: deque[tuple[int, int]] = deque(maxlen=MAX_SEQ)
        self._recent_raw: deque[tuple[int, str]] = deque(maxlen=MAX_SEQ)
        self._recent_authors: Counter[int] = Counter()   # counts over _recent_raw
        self._recent_zones: Counter[str] = Counter()
        self.n_watches = 0
        self.n_positive = 0
        self.author_watches: Counter[int] = Counter()
        self.author_positive: Counter[int] = Counter()
        self.author_negative: Counter[int] = Counter()
        self.zone_watches: Counter[str] = Counter()
        self.zone_positive: Counter[str] = Counter()
        self.positive_tokens: Counter[str] = Counter()
        self.negative_tokens: Counter[str] = Counter()

    def add(self, video: Video | WatchRecord) -> None:
        """Record one watch (its label from ``labels.interest``)."""
        zone = (video.tname or "").strip().lower()
        self._recent.append((self.vocab.author_id(video.owner_mid),
                             self.vocab.tag_id(zone) if zone else UNKNOWN_ID))
        if len(self._recent_raw) == MAX_SEQ:
            old_mid, old_zone = self._recent_raw[0]
            self._recent_authors[old_mid] -= 1
            self._recent_zones[old_zone] -= 1
        self._recent_raw.append((video.owner_mid, zone))
        self._recent_authors[video.owner_mid] += 1
        self._recent_zones[zone] += 1
        label = interest(video)
        self.n_watches += 1
        self.author_watches[video.owner_mid] += 1
        if zone:
            self.zone_watches[zone] += 1
        if label >= POSITIVE_THRESHOLD:
            self.n_positive += 1
            self.author_positive[video.owner_mid] += 1
            if zone:
                self.zone_positive[zone] += 1
            self.positive_tokens.update(title_tokens(video.title))
        elif label == 0.0:
            self.author_negative[video.owner_mid] += 1
            self.negative_tokens.update(title_tokens(video.title))

    @classmethod
    def of_watches(cls, watches: Sequence[Video | WatchRecord],
                   vocab: Vocabulary) -> "WatchContext":
        """The context after ``add``-ing each of ``watches`` in order, built in bulk (serving:
        about 3x faster than one ``add`` per watch; a test checks they agree)."""
        context = cls(vocab)
        zones = [(w.tname or "").strip().lower() for w in watches]
        mids = [w.owner_mid for w in watches]
        labels = [interest(w) for w in watches]
        recent = range(max(0, len(watches) - MAX_SEQ), len(watches))
        for i in recent:
            context._recent.append((vocab.author_id(mids[i]),
                                    vocab.tag_id(zones[i]) if zones[i] else UNKNOWN_ID))
            context._recent_raw.append((mids[i], zones[i]))
        context._recent_authors.update(mids[i] for i in recent)
        context._recent_zones.update(zones[i] for i in recent)
        positive = [i for i, label in enumerate(labels) if label >= POSITIVE_THRESHOLD]
        negative = [i for i, label in enumerate(labels) if label == 0.0]
        context.n_watches, context.n_positive = len(watches), len(positive)
        context.author_watches.update(mids)
        context.zone_watches.update(zone for zone in zones if zone)
        context.author_positive.update(mids[i] for i in positive)
        context.zone_positive.update(zones[i] for i in positive if zones[i])
        context.author_negative.update(mids[i] for i in negative)
        tokens = watch_titles_tokens(watches[i] for i in positive + negative)
        context.positive_tokens.update(chain.from_iterable(tokens[:len(positive)]))
        context.negative_tokens.update(chain.from_iterable(tokens[len(positive):]))
        return context

    def n_entries(self) -> int:
        """How many keys the context's counters hold (a measure of its memory)."""
        return sum(len(c) for c in (
            self._recent_authors, self._recent_zones, self.author_watches, self.author_positive,
            self.author_negative, self.zone_watches, self.zone_positive, self.positive_tokens,
            self.negative_tokens))

    def sequence(self) -> tuple[np.ndarray, np.ndarray]:
        """(UP主 ids, zone ids) of the latest MAX_SEQ watches, oldest first, left-padded with 0."""
        authors = np.zeros(MAX_SEQ, dtype=np.int32)
        zones = np.zeros(MAX_SEQ, dtype=np.int32)
        offset = MAX_SEQ - len(self._recent)
        for i, (author, zone) in enumerate(self._recent):
            authors[offset + i] = author
            zones[offset + i] = zone
        return authors, zones

    def affinity(self, video: Video) -> np.ndarray:
        """N_AFFINITY finite floats: familiarity of this UP主, zone and title words.

        UP主: log watches, log engaged, log abandoned, share of the recent watches; zone: share
        of watches, share of engaged watches, share of the recent watches; title words: share
        seen in engaged titles, mean log-odds engaged vs abandoned.
        """
        zone = (video.tname or "").strip().lower()
        mid = video.owner_mid
        tokens = title_tokens(video.title)
        known_tokens = 0
        odds = []
        for token in tokens:
            positive, negative = self.positive_tokens[token], self.negative_tokens[token]
            if positive:
                known_tokens += 1
            if positive or negative:
                odds.append(math.log((positive + 1.0) / (negative + 1.0)))
        recent = len(self._recent_raw)
        recent_zone = self._recent_zones[zone] if zone else 0
        recent_author = self._recent_authors[mid] if mid else 0
        return np.array([
            math.log1p(self.author_watches[mid]) if mid else 0.0,
            math.log1p(self.author_positive[mid]) if mid else 0.0,
            math.log1p(self.author_negative[mid]) if mid else 0.0,
            self.zone_watches[zone] / self.n_watches if zone and self.n_watches else 0.0,
            self.zone_positive[zone] / self.n_positive if zone and self.n_positive else 0.0,
            known_tokens / len(tokens) if tokens else 0.0,
            recent_zone / recent if recent else 0.0,
            math.fsum(odds) / len(odds) if odds else 0.0,
            recent_author / recent if recent else 0.0,
        ], dtype=np.float32)


def affinity_score(video: Video, context: WatchContext) -> float:
    """Content-affinity score in 0..1: UP主s, zones and title words the user watches, + quality.

    The hand-written fallback ranker, and the model's prior.
    """
    return affinity_score_of(context.affinity(video), quality_features(video))


def affinity_score_of(a: np.ndarray, quality: np.ndarray) -> float:
    """``affinity_score`` from the video's affinity and quality vectors."""
    author = min(1.0, a[1] / math.log(4.0)) * 0.6 + min(1.0, a[0] / math.log(6.0)) * 0.4
    zone = min(1.0, 2.0 * a[4]) * 0.6 + min(1.0, 2.0 * a[3]) * 0.4
    disliked_author = min(1.0, a[2] / math.log(3.0))
    taste = 0.35 * author + 0.35 * zone + 0.3 * float(a[5]) - 0.2 * disliked_author
    return float(min(1.0, max(0.0, 0.65 * taste + 0.35 * quality_score_of(quality))))


def _prior_of(score: float) -> float:
    """The content-affinity score as a logit (clipped): the model's prior."""
    p = min(1.0 - PRIOR_CLIP, max(PRIOR_CLIP, score))
    return math.log(p / (1.0 - p))


def encode_row(video: Video, context: WatchContext,
               vocab: Vocabulary) -> tuple[ItemFeatures, np.ndarray, float]:
    """One model row without the sequence: the item features, the affinity and the prior of
    ``mask_video(video, vocab.fields)`` (only the counts differ there, and only the quality
    vector reads them; affinity and quality are computed once and the prior reuses them).
    Training and serving both encode through here."""
    quality = quality_features(video, vocab.fields)
    item = encode_item(video, vocab, quality)
    affinity = context.affinity(video)
    return item, affinity, _prior_of(affinity_score_of(affinity, quality))


def serving_context(behaviour: Iterable[Video | WatchRecord],
                    vocab: Vocabulary) -> WatchContext:
    """The context at serving time: every timed watch, oldest first. Behaviour records as
    ``Video`` or as the ``WatchRecord`` rows storage reads for serving give the same context."""
    return WatchContext.of_watches(watch_events(behaviour), vocab)


def stack(items: Sequence[ItemFeatures], sequences: Sequence[tuple[np.ndarray, np.ndarray]],
          affinities: Sequence[np.ndarray], priors: Sequence[float]) -> dict[str, np.ndarray]:
    """Model inputs (see models.wide_deep) from per-row features."""
    n = len(items)
    if n == 0:
        return {"tags": np.zeros((0, MAX_TAGS), np.int32), "author": np.zeros(0, np.int32),
                "title": np.zeros((0, MAX_TITLE), np.int32),
                "seq_author": np.zeros((0, MAX_SEQ), np.int32),
                "seq_zone": np.zeros((0, MAX_SEQ), np.int32),
                "affinity": np.zeros((0, N_AFFINITY), np.float32),
                "quality": np.zeros((0, N_QUALITY), np.float32),
                "prior": np.zeros((0, 1), np.float32)}
    return {
        "tags": np.stack([f.tags for f in items]).astype(np.int32),
        "author": np.array([f.author for f in items], dtype=np.int32),
        "title": np.stack([f.title for f in items]).astype(np.int32),
        "seq_author": np.stack([s[0] for s in sequences]).astype(np.int32),
        "seq_zone": np.stack([s[1] for s in sequences]).astype(np.int32),
        "affinity": np.stack(affinities).astype(np.float32),
        "quality": np.stack([f.quality for f in items]).astype(np.float32),
        "prior": np.array(priors, dtype=np.float32).reshape(n, 1),
    }


def memo_get(memo: dict | None, key):
    """The memoised value of ``key``, or None (no memo, a miss, or an unhashable record)."""
    if memo is None:
        return None
    try:
        return memo.get(key)
    except TypeError:           # an unhashable record (e.g. tags as a list): no memo
        return None


def memo_put(memo: dict | None, key, value) -> None:
    """Memoise ``value``; the memo is emptied when it reaches MEMO_CAPACITY."""
    if memo is None:
        return
    if len(memo) >= MEMO_CAPACITY:
        memo.clear()
    try:
        memo[key] = value
    except TypeError:
        pass


def encode_candidates(videos: Sequence[Video], context: WatchContext, vocab: Vocabulary,
                      memo: dict | None = None) -> dict[str, np.ndarray]:
    """Serving inputs: every candidate sees the same (latest) watch context; counts outside
    ``vocab.fields`` are blanked first, exactly as in training.

    ``memo`` (optional, owned by the caller): encoded rows by video, valid for this one
    ``context`` and ``vocab`` only; reused and filled here, emptied when it reaches
    ``MEMO_CAPACITY``. Rows come out identical with or without it.
    """
    items, affinities, priors = [], [], []
    titles_tokens(video.title for video in videos)   # segments the uncached titles at once
    for video in videos:
        row = memo_get(memo, video)
        if row is None:
            row = encode_row(video, context, vocab)
            memo_put(memo, video, row)
        items.append(row[0])
        affinities.append(row[1])
        priors.append(row[2])
    return stack(items, [context.sequence()] * len(videos), affinities, priors)


def encode_samples(samples: Sequence[Sample], watches: Sequence[Video],
                   vocab: Vocabulary) -> dict[str, np.ndarray]:
    """Training inputs: each sample sees the watches strictly before its anchor; counts outside
    ``vocab.fields`` are blanked, exactly as at serving.

    ``watches`` are the user's timed watches (any order). One sweep in time order; the
    returned rows keep the order of ``samples``.
    """
    ordered = sorted(range(len(samples)), key=lambda i: samples[i].anchor)
    events = sorted(watches, key=lambda v: (v.view_at, v.bvid))
    context = WatchContext(vocab)
    items: list[ItemFeatures | None] = [None] * len(samples)
    sequences: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(samples)
    affinities: list[np.ndarray | None] = [None] * len(samples)
    priors: list[float] = [0.0] * len(samples)
    position = 0
    for index in ordered:
        sample = samples[index]
        while position < len(events) and events[position].view_at < sample.anchor:
            context.add(events[position])
            position += 1
        items[index], affinities[index], priors[index] = encode_row(sample.video, context,
                                                                     vocab)
        sequences[index] = context.sequence()
    return stack(items, sequences, affinities, priors)
