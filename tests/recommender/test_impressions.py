"""Outcomes of shown videos: hits, implicit negatives after 3 days, pending, and hit rates."""
from __future__ import annotations

from recommender.impressions import (HIT, NEGATIVE, PENDING, WATCH_WINDOW_S, HitRate,
                                     hit_rate, implicit_negatives, iso_week, judge,
                                     weekly_hit_rates)
from domain import Impression, Video

DAY = 86400.0
T0 = 1_764_547_200.0  # Monday 2025-12-01 00:00 UTC


def shown(bvid: str, at: float = T0, channel: str = "hot", position: int = 0) -> Impression:
    return Impression(Video(bvid), channel, position, at, "model", 0.5)


def statuses(impressions, behaviour=(), feedback=(), now=T0 + 4 * DAY):
    return [o.status for o in judge(impressions, list(behaviour), list(feedback), now=now)]


def test_a_later_watch_or_engagement_or_thumbs_up_is_a_hit():
    impressions = [shown("watched"), shown("liked"), shown("coined"), shown("faved"),
                   shown("up"), shown("late")]
    behaviour = [Video("watched", view_at=int(T0) + 60), Video("liked", liked=True),
                 Video("coined", coined=True), Video("faved", faved=True),
                 Video("late", view_at=int(T0 + 5 * DAY))]
    assert statuses(impressions, behaviour, [(Video("up"), 1)], now=T0 + 6 * DAY) == [HIT] * 6


def test_unwatched_is_negative_only_after_three_days():
    impressions = [shown("a"), shown("b", at=T0 + 2 * DAY)]
    assert statuses(impressions, now=T0 + WATCH_WINDOW_S) == [NEGATIVE, PENDING]
    assert statuses(impressions, now=T0 + WATCH_WINDOW_S - 1) == [PENDING, PENDING]


def test_a_watch_before_the_showing_or_a_thumbs_down_is_no_hit():
    behaviour = [Video("old", view_at=int(T0) - 60, progress=-1)]
    feedback = [(Video("down"), -1)]
    assert statuses([shown("old"), shown("down")], behaviour, feedback) == [NEGATIVE, NEGATIVE]


def test_implicit_negatives_one_per_video_at_its_first_showing_never_a_hit():
    impressions = [shown("a", at=T0 + DAY), shown("a", at=T0, channel="digest"),
                   shown("b"), shown("b", at=T0 + 3.5 * DAY),   # b is watched after its 2nd
                   shown("c", at=T0 + 3 * DAY)]                 # c still pending
    behaviour = [Video("b", view_at=int(T0 + 3.6 * DAY))]
    negatives = implicit_negatives(judge(impressions, behaviour, [], now=T0 + 4 * DAY))
    assert [(i.bvid, i.shown_at, i.channel) for i in negatives] == [("a", T0, "digest")]


def test_hit_rate_counts_distinct_videos_in_the_window_and_the_top():
    impressions = [shown("a"), shown("a", at=T0 + DAY), shown("b", position=3),
                   shown("c", position=12), shown("old", at=T0 - 8 * DAY)]
    behaviour = [Video("a", view_at=int(T0 + 2 * DAY)), Video("c", liked=True),
                 Video("old", faved=True)]
    outcomes = judge(impressions, behaviour, [], now=T0 + 2 * DAY)
    assert hit_rate(outcomes, since=T0 - DAY) == HitRate(3, 2)
    assert hit_rate(outcomes, since=T0 - DAY, top=10) == HitRate(2, 1)
    assert hit_rate(outcomes).rate == 3 / 4
    assert hit_rate([]) == HitRate(0, 0) and HitRate(0, 0).rate is None


def test_weekly_hit_rates_per_channel():
    impressions = [shown("a"), shown("b", channel="explore"), shown("c", at=T0 + 7 * DAY),
                   shown("d", at=T0 + 7 * DAY, position=10)]
    behaviour = [Video("a", view_at=int(T0) + 1), Video("d", view_at=int(T0 + 8 * DAY))]
    rows = weekly_hit_rates(judge(impressions, behaviour, [], now=T0 + 14 * DAY))
    assert iso_week(T0) == "2025-W49"
    assert rows == [("2025-W49", "explore", HitRate(1, 0)), ("2025-W49", "hot", HitRate(1, 1)),
                    ("2025-W50", "hot", HitRate(1, 0))]
