"""Truthful reasons, for every ranker: a reason names an UP主, a zone or title keywords only when
the user's history supports it; otherwise it is about quality, freshness or popularity.

Support (``supported_drivers``):
- UP主: watched at least MIN_AUTHOR_WATCHES times, or engaged with (liked, coined, favourited
  or finished: ``labels.interest`` at the positive threshold) at least MIN_AUTHOR_ENGAGED
  times — two engaged watches say as much about a taste as three plain ones;
- zone: at least MIN_ZONE_WATCHES watches in it, and its share of the user's watches (those
  with a zone) at least ZONE_LIFT times its share of the candidate list being ranked (those
  with a zone): a zone that is merely common on the popular list is no taste of the user's;
- keywords: title words of the video that occurred in at least MIN_KEYWORD_TITLES titles the
  user engaged with.
A ranker passes its own view of what drove a score as ``drivers_hint`` (the model's ablation,
the fallback's affinity order); only the supported kinds among them become reasons.
"""
from __future__ import annotations

import time
from collections import Counter
from typing import Iterable, Mapping, Sequence

from recommender.features import WatchContext, quality_score
from recommender.results import Reason
from recommender.text import title_tokens
from domain import Video

DRIVER_KINDS = ("author", "zone", "keywords")
MIN_AUTHOR_WATCHES = 3
MIN_AUTHOR_ENGAGED = 2
MIN_ZONE_WATCHES = 3
ZONE_LIFT = 2.0
MIN_KEYWORD_TITLES = 3
MAX_KEYWORDS = 2
FRESH_DAYS = 3              # "fresh": published less than this many days ago
MAX_REASONS = 2
QUALITY_REASON_MIN = 0.6
DAY_S = 86400


def zone_key(name: str | None) -> str:
    """A zone name as the watch context counts it (stripped, lower-cased)."""
    return (name or "").strip().lower()


def candidate_zone_shares(candidates: Iterable[Video]) -> dict[str, float]:
    """Each zone's share of the candidates that carry a zone (one count per BV id)."""
    zones: dict[str, str] = {}
    for video in candidates:
        zone = zone_key(video.tname)
        if zone:
            zones.setdefault(video.bvid, zone)
    counts = Counter(zones.values())
    total = sum(counts.values())
    return {zone: count / total for zone, count in counts.items()}


def supported_keywords(video: Video, context: WatchContext) -> list[str]:
    """The video's title words found in >= MIN_KEYWORD_TITLES engaged titles, most first."""
    words = [t for t in title_tokens(video.title)
             if context.positive_tokens[t] >= MIN_KEYWORD_TITLES]
    return sorted(words, key=lambda t: -context.positive_tokens[t])[:MAX_KEYWORDS]


def supported_drivers(video: Video, context: WatchContext,
                      zone_shares: Mapping[str, float]) -> list[str]:
    """The driver kinds (DRIVER_KINDS order) the user's history supports for this video."""
    out = []
    mid = video.owner_mid
    if mid and video.owner_name and (context.author_watches[mid] >= MIN_AUTHOR_WATCHES
                                     or context.author_positive[mid] >= MIN_AUTHOR_ENGAGED):
        out.append("author")
    zone = zone_key(video.tname)
    zoned_watches = sum(context.zone_watches.values())
    if zone and context.zone_watches[zone] >= MIN_ZONE_WATCHES:
        user_share = context.zone_watches[zone] / zoned_watches
        if user_share >= ZONE_LIFT * zone_shares.get(zone, 0.0):
            out.append("zone")
    if supported_keywords(video, context):
        out.append("keywords")
    return out


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
    """The view count (as digits: the bot writes it per language), when known."""
    return Reason("popular", str(video.view)) if video.view else None


def fresh_reason(video: Video, now: float) -> Reason | None:
    """Whole days since publication (value "0" = today) when under FRESH_DAYS, else None."""
    if video.pubdate <= 0:
        return None
    days = max(0, int((now - video.pubdate) // DAY_S))
    return Reason("fresh", str(days)) if days < FRESH_DAYS else None


def generic_reasons(video: Video, now: float | None = None) -> tuple[Reason, ...]:
    """Quality figures when the video is good, its freshness (with ``now``), else its
    popularity (may be empty)."""
    reasons = []
    if quality_score(video) >= QUALITY_REASON_MIN:
        reasons.append(quality_reason(video))
    if now is not None:
        reasons.append(fresh_reason(video, now))
    reasons = [r for r in reasons if r]
    if not reasons:
        reasons = [popular_reason(video) or quality_reason(video)]
    return tuple(r for r in reasons if r)[:MAX_REASONS]


def reasons_for(video: Video, context: WatchContext, zone_shares: Mapping[str, float],
                drivers_hint: Sequence[str] | None = None, *, now: float | None = None
                ) -> tuple[Reason, ...]:
    """Reasons for one ranked video, from any ranker.

    ``zone_shares``: ``candidate_zone_shares`` of the list being ranked; ``drivers_hint``: the
    kinds the ranker says drove the score, strongest first (None: every supported kind);
    ``now``: unix time for freshness (default: the current time). Only supported kinds name an
    UP主, zone or keywords; without any, quality / freshness / popularity.
    """
    supported = supported_drivers(video, context, zone_shares)
    kinds = supported if drivers_hint is None else [k for k in drivers_hint if k in supported]
    reasons = []
    for kind in kinds[:MAX_REASONS]:
        if kind == "author":
            reasons.append(Reason("author", video.owner_name))
        elif kind == "zone":
            reasons.append(Reason("zone", video.tname.strip()))
        else:
            reasons.append(Reason("keywords", "、".join(supported_keywords(video, context))))
    if reasons:
        return tuple(reasons)
    return generic_reasons(video, time.time() if now is None else now)
