"""The taste numbers on a small fixed behaviour: top zones, UP主, keywords, zone shares against
the popular list, and the hit rate of recent lists."""
from __future__ import annotations

import pytest

from recommender.taste import ZoneShare, compute_taste
from domain import Impression, Video

NOW = 1_800_000_000.0
DAY = 86400


def video(i: int, zone: str, mid: int, name: str, title: str, **fields) -> Video:
    return Video(f"BV1taste{i:05d}", aid=i, title=title, owner_mid=mid, owner_name=name,
                 tname=zone, **fields)


BEHAVIOUR = [  # newest first, as storage gives it
    video(1, "美食制作", 11, "老番茄", "Python cooking robot", view_at=int(NOW) - 100),
    video(2, "美食制作", 11, "老番茄(旧名)", "cooking noodles at home", view_at=int(NOW) - 200),
    video(3, "美食制作", 11, "", "cooking the noodles", liked=True),
    video(4, "美食制作", 22, "何同学", "cooking rice", faved=True),
    video(5, "出行", 22, "何同学", "a road trip", view_at=int(NOW) - 9 * DAY),
    video(6, "出行", 11, "老番茄", "the road north", view_at=int(NOW) - 10 * DAY),
    video(7, "", 11, "老番茄", "noodles", coined=True),
    video(1, "美食制作", 11, "老番茄", "Python cooking robot"),   # a duplicate record
]
POPULAR = ([video(100, "美食制作", 90, "x", "a")]
           + [video(101 + k, "单机游戏", 90, "x", "b") for k in range(5)]
           + [video(110 + k, "出行", 90, "x", "c") for k in range(4)])


def test_top_zones_authors_and_keywords():
    taste = compute_taste(BEHAVIOUR, POPULAR, now=NOW)
    assert taste.records == 7
    assert [(z.name, z.count) for z in taste.zones] == [("美食制作", 4), ("出行", 2)]
    assert taste.zones[0].share == pytest.approx(4 / 6)
    assert [(a.name, a.mid, a.count) for a in taste.authors] == [("老番茄", 11, 5),
                                                                ("何同学", 22, 2)]
    assert taste.authors[0].share == pytest.approx(5 / 7)
    keywords = {k.name: k.count for k in taste.keywords}
    assert keywords["cooking"] == 4 and keywords["noodles"] == 3 and keywords["road"] == 2
    assert "the" not in keywords and "a" not in keywords          # stop words
    assert taste.keywords[0].name == "cooking"


def test_zone_shares_against_the_popular_list():
    taste = compute_taste(BEHAVIOUR, POPULAR, now=NOW)
    assert taste.zone_shares == (
        ZoneShare("美食制作", pytest.approx(4 / 6), pytest.approx(0.1)),
        ZoneShare("出行", pytest.approx(2 / 6), pytest.approx(0.4)),
        ZoneShare("单机游戏", 0.0, pytest.approx(0.5)),
    )
    history, popular = taste.top_zones_share
    assert history == pytest.approx(1.0) and popular == pytest.approx(0.5)


def test_hit_rate_of_recent_lists_counts_watches_and_thumbs_up():
    def shown(v: Video, days_ago: float, position: int) -> Impression:
        return Impression(v, "hot", position, NOW - days_ago * DAY, "model", 0.5)

    unseen = video(50, "出行", 33, "z", "elsewhere")
    liked = video(51, "出行", 33, "z", "liked later")
    impressions = [shown(BEHAVIOUR[0], 2, 0),   # watched after it was shown: a hit
                   shown(liked, 2, 1),          # 👍: a hit
                   shown(unseen, 2, 2),         # neither (still pending): shown, no hit
                   shown(unseen, 1, 0),         # the same video again counts once
                   shown(BEHAVIOUR[4], 12, 3)]  # older than 7 days: left out
    taste = compute_taste(BEHAVIOUR, POPULAR, impressions=impressions,
                          feedback=[(liked, 1)], now=NOW)
    assert (taste.hit_rate.shown, taste.hit_rate.hits) == (3, 2)
    assert compute_taste(BEHAVIOUR, POPULAR, now=NOW).hit_rate is None
    assert compute_taste(BEHAVIOUR, POPULAR, impressions=impressions[-1:],
                         now=NOW).hit_rate is None


def test_no_behaviour_gives_an_empty_taste():
    taste = compute_taste([], POPULAR, now=NOW)
    assert (taste.records, taste.zones, taste.authors, taste.keywords) == (0, (), (), ())
    assert [z.history for z in taste.zone_shares] == [0.0, 0.0, 0.0]
    assert taste.top_zones_share == (0.0, 0.0)
    assert compute_taste([], [], now=NOW).zone_shares == ()
