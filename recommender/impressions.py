"""What became of the videos the bot showed (pure code: no storage, no Telegram).

An impression is a HIT when the video is later found in the user's history (``view_at`` after
``shown_at``), is liked, coined or favourited, or got 👍. Otherwise it is an IMPLICIT NEGATIVE
once ``WATCH_WINDOW_S`` (3 days) have passed since it was shown, and PENDING before that.

A video shown several times counts once per group (channel, week, ...): it is a hit when any of
its impressions in the group is one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Sequence

from domain import Impression, Video

WATCH_WINDOW_S = 3 * 86400.0
HIT, NEGATIVE, PENDING = "hit", "negative", "pending"


@dataclass(frozen=True)
class Outcome:
    """An impression and what became of it (HIT, NEGATIVE or PENDING)."""

    impression: Impression
    status: str


@dataclass(frozen=True)
class HitRate:
    """Distinct videos shown and how many of them were hits."""

    shown: int
    hits: int

    @property
    def rate(self) -> float | None:
        return self.hits / self.shown if self.shown else None


def judge(impressions: Iterable[Impression], behaviour: Sequence[Video],
          feedback: Sequence[tuple[Video, int]], *, now: float) -> list[Outcome]:
    """The outcome of every impression at time ``now`` (see module doc), in the same order."""
    records = {video.bvid: video for video in behaviour}
    thumbs_up = {video.bvid for video, value in feedback if value > 0}
    out = []
    for impression in impressions:
        record = records.get(impression.bvid)
        engaged = record is not None and (record.view_at > impression.shown_at or record.liked
                                          or record.coined or record.faved)
        if engaged or impression.bvid in thumbs_up:
            status = HIT
        elif now - impression.shown_at >= WATCH_WINDOW_S:
            status = NEGATIVE
        else:
            status = PENDING
        out.append(Outcome(impression, status))
    return out


def implicit_negatives(outcomes: Iterable[Outcome]) -> list[Impression]:
    """One impression per video that was shown, never a hit, and is a negative: its earliest
    negative impression (the anchor of the training sample)."""
    hits: set[str] = set()
    first: dict[str, Impression] = {}
    for outcome in outcomes:
        bvid = outcome.impression.bvid
        if outcome.status == HIT:
            hits.add(bvid)
        elif outcome.status == NEGATIVE:
            seen = first.get(bvid)
            if seen is None or outcome.impression.shown_at < seen.shown_at:
                first[bvid] = outcome.impression
    return [impression for bvid, impression in first.items() if bvid not in hits]


def hit_rate(outcomes: Iterable[Outcome], *, since: float | None = None,
             top: int | None = None) -> HitRate:
    """Distinct videos shown (at a position < top, at or after since) and the hits among them."""
    shown: dict[str, bool] = {}
    for outcome in outcomes:
        impression = outcome.impression
        if since is not None and impression.shown_at < since:
            continue
        if top is not None and impression.position >= top:
            continue
        shown[impression.bvid] = shown.get(impression.bvid, False) or outcome.status == HIT
    return HitRate(len(shown), sum(shown.values()))


def iso_week(unix_s: float) -> str:
    """The ISO week of a time (UTC), e.g. "2026-W49"."""
    year, week, _ = datetime.fromtimestamp(unix_s, timezone.utc).isocalendar()
    return f"{year}-W{week:02d}"


def weekly_hit_rates(outcomes: Iterable[Outcome], *, top: int = 10
                     ) -> list[tuple[str, str, HitRate]]:
    """(ISO week, channel, hit rate@top) for every week and channel with impressions, in order."""
    groups: dict[tuple[str, str], list[Outcome]] = {}
    for outcome in outcomes:
        key = (iso_week(outcome.impression.shown_at), outcome.impression.channel)
        groups.setdefault(key, []).append(outcome)
    return [(week, channel, hit_rate(groups[week, channel], top=top))
            for week, channel in sorted(groups)]
