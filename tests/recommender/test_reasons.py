"""Truthful reasons: an UP主, zone or keyword is named only when the user's history supports it."""
from __future__ import annotations

import numpy as np

from models import PAD_ID
from recommender.features import Vocabulary, WatchContext, build_vocabulary, encode_candidates
from recommender.ranking import fallback_rank, model_drivers
from recommender.reasons import (DAY_S, candidate_zone_shares, reasons_for, supported_drivers,
                                 supported_keywords)
from recommender.results import Reason
from domain import Video

NOW = 1_750_000_000
TECH, COS, GAMES = "数码", "仿妆cos", "单机游戏"


def watch(i: int, zone: str, mid: int, title: str = "", *, engaged: bool = True) -> Video:
    """A finished watch (engaged) or one abandoned after a few seconds."""
    return Video(bvid=f"BVw{i:09d}", title=title or f"视频{i}", owner_mid=mid,
                 owner_name=f"UP{mid}", tname=zone, duration=600,
                 progress=-1 if engaged else 5, view_at=NOW - 10 * DAY_S + i)


def candidate(i: int, zone: str, mid: int, title: str = "", **fields) -> Video:
    fields.setdefault("pubdate", NOW - 30 * DAY_S)
    return Video(bvid=f"BVc{i:09d}", title=title or f"候选{i}", owner_mid=mid,
                 owner_name=f"UP{mid}", tname=zone, duration=300, **fields)


def context_of(watches: list[Video], vocab: Vocabulary | None = None) -> WatchContext:
    context = WatchContext(vocab or Vocabulary())
    for video in watches:
        context.add(video)
    return context


def tech_viewer() -> list[Video]:
    return [watch(i, TECH, 100 + i % 4, f"手机 评测 第{i}期") for i in range(24)]


def popular_list() -> list[Video]:
    """Mostly cosplay and games, some tech; UP主s the viewer never watched."""
    zones = [COS] * 12 + [GAMES] * 10 + [TECH] * 4
    return [candidate(i, zone, 500 + i, f"{zone} 精选 {i}", view=100_000, like=2_000)
            for i, zone in enumerate(zones)]


def zones_named(reasons) -> set[str]:
    return {r.value for r in reasons if r.kind == "zone"}


def test_a_zone_never_watched_is_never_named_on_the_fallback_path():
    context = context_of(tech_viewer())
    candidates = popular_list()
    ranked = fallback_rank(candidates, context, len(candidates), now=NOW)
    named = set().union(*(zones_named(item.reasons) for item in ranked))
    assert COS not in named and GAMES not in named
    assert all(item.reasons for item in ranked)
    tech = [item for item in ranked if item.video.tname == TECH]
    assert tech and all(zones_named(item.reasons) == {TECH} for item in tech)


def test_a_zone_never_watched_is_never_named_on_the_model_path():
    watches = tech_viewer()
    candidates = popular_list()
    vocab = build_vocabulary(watches + candidates, min_count=1)
    context = context_of(watches, vocab)
    inputs = encode_candidates(candidates, context, vocab)

    def zone_driven(batch):                        # a "model" whose score is all zone
        return 1.0 / (1.0 + np.exp(-2.0 * (batch["tags"][:, 0] != PAD_ID)))

    rows = list(range(len(candidates)))
    drivers = model_drivers(inputs, rows, zone_driven)
    assert all(kinds == ["zone"] for kinds in drivers)
    shares = candidate_zone_shares(candidates)
    for video, kinds in zip(candidates, drivers):
        reasons = reasons_for(video, context, shares, kinds, now=NOW)
        assert reasons
        assert zones_named(reasons) == ({TECH} if video.tname == TECH else set())
        assert not any(r.kind in ("author", "keywords") for r in reasons)   # not hinted


def test_a_zone_no_more_common_in_history_than_in_the_list_is_not_named():
    watches = ([watch(i, GAMES, 1) for i in range(10)] + [watch(i, TECH, 2) for i in range(10, 30)]
               + [watch(i, COS, 3) for i in range(30, 32)])       # 2 watches: too few
    context = context_of(watches)
    candidates = ([candidate(i, GAMES, 900 + i) for i in range(10)]           # 50 % of the list
                  + [candidate(i, TECH, 900 + i) for i in range(10, 12)]      # 10 %
                  + [candidate(i, "动画", 900 + i) for i in range(12, 19)]
                  + [candidate(19, COS, 919)])
    shares = candidate_zone_shares(candidates)
    assert shares[GAMES] == 0.5 and context.zone_watches[GAMES.lower()] == 10
    games, tech, cos = candidates[0], candidates[10], candidates[19]
    assert "zone" not in supported_drivers(games, context, shares)   # 1/3 of history < 2 × 1/2
    assert "zone" in supported_drivers(tech, context, shares)        # 2/3 of history ≥ 2 × 1/10
    assert "zone" not in supported_drivers(cos, context, shares)     # only 2 watches
    assert zones_named(reasons_for(games, context, shares, now=NOW)) == set()
    assert zones_named(reasons_for(tech, context, shares, now=NOW)) == {TECH}


def test_an_uploader_needs_three_watches_or_two_engaged_ones():
    watches = ([watch(i, TECH, 1, engaged=False) for i in range(3)]     # watched 3×, abandoned
               + [watch(i, TECH, 2) for i in range(3, 5)]               # engaged 2×
               + [watch(5, TECH, 3), watch(6, TECH, 3, engaged=False)])  # 2 watches, 1 engaged
    context = context_of(watches)
    shares = {TECH: 1.0}                                    # the zone is never supported here
    for mid, expected in ((1, True), (2, True), (3, False), (4, False)):
        video = candidate(mid, TECH, mid)
        reasons = reasons_for(video, context, shares, ["author", "zone"], now=NOW)
        assert (Reason("author", f"UP{mid}") in reasons) is expected, mid


def test_a_keyword_needs_three_engaged_titles():
    titles = ["python 入门", "python 进阶", "python 爬虫", "linux 基础", "linux 命令"]
    watches = [watch(i, "编程", 10 + i, title) for i, title in enumerate(titles)]
    watches += [watch(i, "编程", 10 + i, "java 面试", engaged=False) for i in range(5, 9)]
    context = context_of(watches)
    shares = {"编程": 1.0}
    both = candidate(1, "编程", 99, "python linux java 对比")
    assert supported_keywords(both, context) == ["python"]
    assert reasons_for(both, context, shares, ["keywords"], now=NOW) == (
        Reason("keywords", "python"),)
    weak = candidate(2, "编程", 99, "linux java 对比", view=1000, like=10)
    reasons = reasons_for(weak, context, shares, ["keywords"], now=NOW)
    assert reasons and all(r.kind in ("quality", "popular", "fresh") for r in reasons)


def test_without_support_a_fresh_video_says_when_it_was_published():
    context = context_of(tech_viewer())
    shares = {COS: 1.0}
    fresh = candidate(1, COS, 700, pubdate=NOW - 2 * DAY_S - 3600)
    assert Reason("fresh", "2") in reasons_for(fresh, context, shares, now=NOW)
    today = candidate(2, COS, 700, pubdate=NOW - 60)
    assert Reason("fresh", "0") in reasons_for(today, context, shares, now=NOW)
    old = candidate(3, COS, 700, view=50_000, like=100)
    reasons = reasons_for(old, context, shares, now=NOW)
    assert reasons and not any(r.kind == "fresh" for r in reasons)
