"""A user's taste in numbers (pure: no storage, no Telegram): the zones, UP主 and title keywords
they watch most, their zones' shares in the history against the popular list, and the hit rate
of the lists they were shown recently.

Every behaviour record (a watch, favourite, coin or like; one per video) counts once. Keywords
are jieba title tokens without stop words (``recommender.text.title_tokens``), counted once per
title. Shares are over the records that carry a zone (the zone name as Bilibili gives it).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import chain
from typing import Iterable, Sequence

from recommender.impressions import HitRate, hit_rate, judge
from recommender.text import titles_tokens
from domain import Impression, Video

TOP = 5                 # zones, UP主 and keywords named
CHART_ZONES = 8         # zones in the share comparison
HIT_DAYS = 7            # the "recent lists" of the hit rate
DAY_S = 86400.0


@dataclass(frozen=True)
class Count:
    """A zone, UP主 or keyword, how many records have it, and its share of the records."""

    name: str
    count: int
    share: float
    mid: int = 0        # the UP主's Bilibili id (0 for zones and keywords)


@dataclass(frozen=True)
class ZoneShare:
    """A zone's share of the user's history and of the popular list (0..1 each)."""

    zone: str
    history: float
    popular: float


@dataclass(frozen=True)
class Taste:
    """What ``compute_taste`` found; ``hit_rate`` is None when nothing was shown in the last
    ``hit_days`` days."""

    records: int
    zones: tuple[Count, ...]
    authors: tuple[Count, ...]
    keywords: tuple[Count, ...]
    zone_shares: tuple[ZoneShare, ...]
    hit_rate: HitRate | None = None
    hit_days: int = HIT_DAYS

    @property
    def top_zones_share(self) -> tuple[float, float]:
        """(history, popular list) share of the top zones together."""
        top = {count.name for count in self.zones}
        history = sum(z.history for z in self.zone_shares if z.zone in top)
        popular = sum(z.popular for z in self.zone_shares if z.zone in top)
        return history, popular


def zone_shares(videos: Iterable[Video]) -> dict[str, float]:
    """Each zone's share of the videos that carry a zone (one count per BV id)."""
    zones: dict[str, str] = {}
    for video in videos:
        zone = (video.tname or "").strip()
        if zone:
            zones.setdefault(video.bvid, zone)
    counts = Counter(zones.values())
    total = sum(counts.values())
    return {zone: count / total for zone, count in counts.items()}


def _top(counter: Counter, total: int, n: int) -> tuple[Count, ...]:
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return tuple(Count(name, count, count / total if total else 0.0) for name, count in ranked)


def compute_taste(behaviour: Sequence[Video], popular: Sequence[Video], *,
                  impressions: Sequence[Impression] = (),
                  feedback: Sequence[tuple[Video, int]] = (), now: float,
                  top: int = TOP, chart_zones: int = CHART_ZONES,
                  hit_days: int = HIT_DAYS) -> Taste:
    """The user's taste from their behaviour records, against the popular list; the hit rate
    of what was shown in the ``hit_days`` days before ``now`` (impressions judged with the
    behaviour and 👍 feedback, ``recommender.impressions``)."""
    first: dict[str, Video] = {}
    for video in behaviour:             # one record per video: the first (newest) one
        first.setdefault(video.bvid, video)
    records = list(first.values())
    zoned = [video for video in records if (video.tname or "").strip()]
    zone_counts = Counter(video.tname.strip() for video in zoned)
    author_counts: Counter = Counter()
    author_names: dict[int, str] = {}
    for video in records:
        if video.owner_mid > 0:
            author_counts[video.owner_mid] += 1
            if video.owner_name and video.owner_mid not in author_names:
                author_names[video.owner_mid] = video.owner_name   # newest name first
    keyword_counts = Counter(chain.from_iterable(titles_tokens(video.title for video in records)))

    authors = tuple(Count(author_names.get(mid, str(mid)), count, count / len(records), mid)
                    for mid, count in sorted(author_counts.items(),
                                             key=lambda kv: (-kv[1], kv[0]))[:top])
    mine, theirs = zone_shares(records), zone_shares(popular)
    compared = sorted(set(mine) | set(theirs),
                      key=lambda zone: (-max(mine.get(zone, 0.0), theirs.get(zone, 0.0)), zone))
    shares = tuple(sorted((ZoneShare(zone, mine.get(zone, 0.0), theirs.get(zone, 0.0))
                           for zone in compared[:chart_zones]),
                          key=lambda z: (-z.history, -z.popular, z.zone)))
    rate = None
    since = now - hit_days * DAY_S
    recent = [impression for impression in impressions if impression.shown_at >= since]
    if recent:
        rate = hit_rate(judge(recent, records, feedback, now=now), since=since)
    return Taste(records=len(records), zones=_top(zone_counts, len(zoned), top),
                 authors=authors, keywords=_top(keyword_counts, len(records), top),
                 zone_shares=shares, hit_rate=rate, hit_days=hit_days)
