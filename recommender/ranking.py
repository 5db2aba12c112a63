"""Ranking core (no storage, no TensorFlow import of its own): filters, diversity, the
model's score drivers, the content-affinity fallback and the quality order (reasons: reasons.py).

Rating: ``round(100 × calibrated probability)`` for a personal model (recommender.calibration,
fitted on the held-out part at training time); the fallback and the quality order give
provisional ratings from the same 0..1 scale of their own scores.
"""
from __future__ import annotations

import math
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from models import PAD_ID, UNKNOWN_ID
from recommender.features import (AFFINITY_AUTHOR, AFFINITY_KEYWORDS, AFFINITY_ZONE,
                                  WatchContext, affinity_score, memo_get, memo_put,
                                  quality_score)
from recommender.reasons import candidate_zone_shares, generic_reasons, reasons_for
from recommender.results import Recommendation
from domain import Video

MAX_PER_AUTHOR = 2
MIN_RATING, MAX_RATING = 1, 99
# a part of the model's input "drove the score" when removing it lowers the logit this much
REASON_MIN_LOGIT = 0.1


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
    """round(100 × p), clamped to 1..99: no ranker's score supports a claim of certainty, so a
    rating is never 0 or 100 (NaN counts as the lowest)."""
    if not math.isfinite(probability):
        return MIN_RATING
    return int(max(MIN_RATING, min(MAX_RATING, round(100.0 * probability))))


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


def affinity_drivers(video: Video, context: WatchContext) -> list[str]:
    """Which of UP主, zone and keywords raised the affinity score, strongest first (a hint:
    ``reasons_for`` keeps only what the history supports)."""
    a = context.affinity(video)
    strengths = {"author": float(a[1] + 0.5 * a[0]), "zone": float(a[4] + a[3]),
                 "keywords": float(a[5])}
    return [k for k, v in sorted(strengths.items(), key=lambda kv: -kv[1]) if v > 0.05]


def fallback_rank(candidates: Sequence[Video], context: WatchContext, n: int,
                  zone_shares: Mapping[str, float] | None = None, *, now: float | None = None,
                  memo: dict | None = None) -> list[Recommendation]:
    """Content-affinity order for users without a model (provisional ratings); ``zone_shares``
    of the whole list being ranked (default: of ``candidates``), see ``reasons_for``; ``memo``
    as in ``features.memo_get`` (scores by video, valid for this one context)."""
    if zone_shares is None:
        zone_shares = candidate_zone_shares(candidates)
    scores = []
    for video in candidates:
        score = memo_get(memo, ("content", video))
        if score is None:
            score = affinity_score(video, context)
            memo_put(memo, ("content", video), score)
        scores.append(score)
    return [Recommendation(candidates[i], rating_of(scores[i]),
                           reasons_for(candidates[i], context, zone_shares,
                                       affinity_drivers(candidates[i], context), now=now),
                           score=scores[i])
            for i in select_top(candidates, scores, n)]


def quality_rank(candidates: Sequence[Video], n: int) -> list[Recommendation]:
    """Quality order (no user): ratings from the quality score, reasons from the counts."""
    scores = [quality_score(v) for v in candidates]
    return [Recommendation(candidates[i], rating_of(scores[i]), generic_reasons(candidates[i]),
                           score=scores[i])
            for i in select_top(candidates, scores, n)]
