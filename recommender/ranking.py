"""Ranking core (no storage, no TensorFlow import of its own): filters, diversity, reasons,
the content-affinity fallback and the quality order.

Rating: ``round(100 × calibrated probability)`` for a personal model (Platt scaling fitted on the
held-out part at training time); the fallback and the quality order give provisional ratings
from the same 0..1 scale of their own scores.
"""
from __future__ import annotations

import math
from typing import Callable, Iterable, Sequence

import numpy as np

from models import PAD_ID, UNKNOWN_ID
from recommender.features import (AFFINITY_AUTHOR, AFFINITY_KEYWORDS, AFFINITY_ZONE,
                                  WatchContext, quality_score)
from recommender.results import Reason, Recommendation
from recommender.text import title_tokens
from storage.records import Video

MAX_PER_AUTHOR = 2
MAX_REASONS = 2
# a part of the model's input "drove the score" when removing it lowers the logit this much
REASON_MIN_LOGIT = 0.1
QUALITY_REASON_MIN = 0.6


def usable_candidates(candidates: Iterable[Video], skip: set[str]) -> list[Video]:
    """Candidates with a BV id, not in ``skip``, first occurrence of each BV id."""
    seen: set[str] = set()
    out = []
    for video in candidates:
        if not video.bvid or video.bvid in skip or video.bvid in seen:
            continue
        seen.add(video.bvid)
        out.append(video)
    return out


def author_key(video: Video) -> str:
    """The UP主 a video counts against for the per-UP主 limit."""
    return f"mid:{video.owner_mid}" if video.owner_mid else f"name:{video.owner_name or video.bvid}"


def select_top(videos: Sequence[Video], scores: Sequence[float], n: int,
               per_author: int = MAX_PER_AUTHOR) -> list[int]:
    """Indices of the best ``n`` by score (stable on ties), at most ``per_author`` per UP主."""
    order = sorted(range(len(videos)), key=lambda i: (-scores[i], i))
    counts: dict[str, int] = {}
    chosen = []
    for i in order:
        if len(chosen) >= n:
            break
        key = author_key(videos[i])
        if counts.get(key, 0) >= per_author:
            continue
        counts[key] = counts.get(key, 0) + 1
        chosen.append(i)
    return chosen


def rating_of(probability: float) -> int:
    """round(100 × p), clamped to 0..100 (NaN counts as 0)."""
    if not math.isfinite(probability):
        return 0
    return int(max(0, min(100, round(100.0 * probability))))


def _compact(number: int) -> str:
    for size, suffix in ((1e8, "亿"), (1e4, "万")):
        if number >= size:
            return f"{number / size:.1f}{suffix}"
    return str(number)


def quality_reason(video: Video) -> Reason | None:
    """'like x% · favourite y%' style figures, when the listing carries the counts."""
    if not video.view or video.like is None:
        return None
    parts = [f"👍{100.0 * video.like / video.view:.1f}%"]
    if video.favorite is not None:
        parts.append(f"⭐{100.0 * video.favorite / video.view:.1f}%")
    if video.coin is not None:
        parts.append(f"🪙{100.0 * video.coin / video.view:.1f}%")
    return Reason("quality", " ".join(parts))


def popular_reason(video: Video) -> Reason | None:
    """The view count, when known."""
    return Reason("popular", f"▶{_compact(video.view)}") if video.view else None


def generic_reasons(video: Video) -> tuple[Reason, ...]:
    """Quality figures when the video is good, else its popularity (may be empty)."""
    if quality_score(video) >= QUALITY_REASON_MIN:
        reason = quality_reason(video)
        if reason:
            return (reason,)
    reason = popular_reason(video) or quality_reason(video)
    return (reason,) if reason else ()


def matched_keywords(video: Video, context: WatchContext, limit: int = 2) -> list[str]:
    """Title words of ``video`` that also appear in titles the user engaged with (most first)."""
    tokens = [t for t in title_tokens(video.title) if context.positive_tokens[t] > 0]
    return sorted(tokens, key=lambda t: -context.positive_tokens[t])[:limit]


def content_reasons(video: Video, context: WatchContext, drivers: Sequence[str]
                    ) -> tuple[Reason, ...]:
    """Reasons for the given driver kinds, in order, skipping those without a value."""
    reasons = []
    for kind in drivers:
        if kind == "author" and video.owner_name and context.author_watches[video.owner_mid]:
            reasons.append(Reason("author", video.owner_name))
        elif kind == "zone" and video.tname:
            reasons.append(Reason("zone", video.tname))
        elif kind == "keywords":
            words = matched_keywords(video, context)
            if words:
                reasons.append(Reason("keywords", "、".join(words)))
        if len(reasons) >= MAX_REASONS:
            break
    return tuple(reasons) or generic_reasons(video)


def model_drivers(inputs: dict[str, np.ndarray], rows: Sequence[int],
                  score: Callable[[dict[str, np.ndarray]], np.ndarray]) -> list[list[str]]:
    """Per row, the input groups (author, zone, keywords) whose removal lowers the logit most.

    One batch: each selected row three times, with the UP主, the zone/tags or the title (and
    their affinity columns) blanked; the drop in logit is that part's contribution.
    """
    if not rows:
        return []
    rows = list(rows)
    base = {name: array[rows] for name, array in inputs.items()}
    variants = []
    for kind in ("author", "zone", "keywords"):
        v = {name: array.copy() for name, array in base.items()}
        if kind == "author":
            v["author"][:] = np.where(v["author"] == PAD_ID, PAD_ID, UNKNOWN_ID)
            v["affinity"][:, AFFINITY_AUTHOR] = 0.0
        elif kind == "zone":
            v["tags"][:] = PAD_ID
            v["affinity"][:, AFFINITY_ZONE] = 0.0
        else:
            v["title"][:] = PAD_ID
            v["affinity"][:, AFFINITY_KEYWORDS] = 0.0
        variants.append(v)
    batch = {name: np.concatenate([base[name]] + [v[name] for v in variants])
             for name in base}
    probabilities = np.clip(score(batch), 1e-6, 1 - 1e-6)
    logits = np.log(probabilities / (1 - probabilities)).reshape(4, len(rows))
    drops = logits[0] - logits[1:]
    kinds = ("author", "zone", "keywords")
    out = []
    for j in range(len(rows)):
        ranked = sorted(range(3), key=lambda k: -drops[k, j])
        out.append([kinds[k] for k in ranked if drops[k, j] >= REASON_MIN_LOGIT])
    return out


def affinity_score(video: Video, context: WatchContext) -> float:
    """Content-affinity score in 0..1: UP主s, zones and title words the user watches, + quality."""
    a = context.affinity(video)
    author = min(1.0, a[1] / math.log(4.0)) * 0.6 + min(1.0, a[0] / math.log(6.0)) * 0.4
    zone = min(1.0, 2.0 * a[4]) * 0.6 + min(1.0, 2.0 * a[3]) * 0.4
    disliked_author = min(1.0, a[2] / math.log(3.0))
    taste = 0.35 * author + 0.35 * zone + 0.3 * float(a[5]) - 0.2 * disliked_author
    return float(min(1.0, max(0.0, 0.65 * taste + 0.35 * quality_score(video))))


def affinity_drivers(video: Video, context: WatchContext) -> list[str]:
    """Which of UP主, zone and keywords the user's history supports, strongest first."""
    a = context.affinity(video)
    strengths = {"author": float(a[1] + 0.5 * a[0]), "zone": float(a[4] + a[3]),
                 "keywords": float(a[5])}
    return [k for k, v in sorted(strengths.items(), key=lambda kv: -kv[1]) if v > 0.05]


def fallback_rank(candidates: Sequence[Video], context: WatchContext, n: int
                  ) -> list[Recommendation]:
    """Content-affinity order for users without a model (provisional ratings)."""
    scores = [affinity_score(v, context) for v in candidates]
    return [Recommendation(candidates[i], rating_of(scores[i]),
                           content_reasons(candidates[i], context,
                                           affinity_drivers(candidates[i], context)),
                           score=scores[i])
            for i in select_top(candidates, scores, n)]


def quality_rank(candidates: Sequence[Video], n: int) -> list[Recommendation]:
    """Quality order (no user): ratings from the quality score, reasons from the counts."""
    scores = [quality_score(v) for v in candidates]
    return [Recommendation(candidates[i], rating_of(scores[i]), generic_reasons(candidates[i]),
                           score=scores[i])
            for i in select_top(candidates, scores, n)]
