"""The synthetic world: each condition gives records shaped like the real listings."""
from __future__ import annotations

import numpy as np
import pytest

from recommender.synthetic import (CONDITIONS, make_catalogue, make_user, served_record,
                                   utilities, utility)

COUNTS = ("view", "like", "coin", "favorite", "reply", "danmaku", "share")


@pytest.fixture(scope="module")
def world():
    return make_catalogue(np.random.default_rng(11))


@pytest.fixture(scope="module")
def users(world):
    return {condition: [make_user(world, np.random.default_rng(seed), condition,
                                  n_watches=None if condition == "cold" else 300)
                        for seed in (1, 2)]
            for condition in CONDITIONS}


def history(user):
    return [v for v in user.behaviour if v.view_at > 0]


def plain(records):
    """Records that came from history (+ enrichment) only: not in a like or coin list."""
    return [v for v in records if not (v.liked or v.coined)]


def test_behaviour_is_newest_first_with_untimed_last(users):
    for user in users["full"]:
        times = [v.view_at for v in user.behaviour]
        assert times == sorted(times, reverse=True)
        assert len({v.bvid for v in user.behaviour}) == len(user.behaviour)


def test_no_record_has_tags(users):
    for condition in CONDITIONS:
        for user in users[condition]:
            assert all(v.tags == () for v in user.behaviour + user.pool + user.popular_now)


def test_no_counts_records_have_no_counts(users):
    for user in users["no_counts"]:
        assert user.behaviour
        for video in user.behaviour:
            assert all(getattr(video, name) is None for name in COUNTS), video


@pytest.mark.parametrize("condition", [c for c in CONDITIONS if c != "no_counts"])
def test_enriched_history_has_view_favourite_danmaku_but_no_like_coin(users, world, condition):
    for user in users[condition]:
        records = plain(history(user))
        assert records
        enriched = [v for v in records if v.view is not None]
        assert len(enriched) >= 0.9 * len(records)       # a few videos are gone: no counts
        for video in enriched:
            truth = world.videos[world.index_of(video.bvid)]
            assert video.favorite == truth.favorite and video.danmaku == truth.danmaku
        for video in records:
            assert video.like is None and video.coin is None
            assert video.reply is None and video.share is None
            assert video.tname and video.tid == 0          # history has the zone name only


def test_liked_and_coined_records_carry_every_count(users, world):
    engaged = [v for user in users["full"] for v in user.behaviour if v.liked or v.coined]
    assert engaged
    for video in engaged:
        truth = world.videos[world.index_of(video.bvid)]
        for name in COUNTS:
            assert getattr(video, name) == getattr(truth, name)
        assert video.tname and video.tid


def test_history_only_never_likes_coins_or_favourites(users):
    for user in users["history_only"]:
        assert user.behaviour
        assert not any(v.liked or v.coined or v.faved for v in user.behaviour)
        assert all(v.view_at > 0 for v in user.behaviour)


def test_full_users_like_coin_and_favourite(users):
    for user in users["full"]:
        assert any(v.liked for v in user.behaviour)
        assert any(v.coined for v in user.behaviour)
        assert any(v.faved for v in user.behaviour)


def test_niche_main_zones_are_half_the_history_and_rare_in_popular(users, world):
    more = [make_user(world, np.random.default_rng(seed), "niche", n_watches=n)
            for seed, n in ((101, None), (102, 900))]    # the longest history still fits
    for user in users["niche"] + more:
        assert len(user.main_zones) == 3
        watched = history(user)
        share = sum(v.tname in user.main_zones for v in watched) / len(watched)
        assert 0.50 <= share <= 0.60, share
        popular = sum(user.on_taste(v) for v in user.popular_now) / len(user.popular_now)
        assert popular < 0.02, popular


def test_cold_users_have_few_watches(users):
    for user in users["cold"]:
        assert 25 <= len(history(user)) < 60


def test_no_pool_has_an_empty_pool_but_a_popular_list(users):
    for user in users["no_pool"]:
        assert user.pool == [] and user.popular_pool == [] and user.feed_pool == []
        assert user.popular_now
    for user in users["full"]:
        assert user.popular_pool and user.feed_pool
        assert user.pool == user.popular_pool + user.feed_pool


def test_popular_now_has_full_counts_and_no_watched_video(users, world):
    for condition in CONDITIONS:
        for user in users[condition]:
            ever = {world.videos[i].bvid for i, _ in user.watches}
            assert {v.bvid for v in user.behaviour if v.view_at} <= ever
            assert len(user.popular_now) == 100
            assert not ever & {v.bvid for v in user.popular_now}
            for video in user.popular_now:
                assert all(getattr(video, name) is not None for name in COUNTS)
                assert video.tname and not (video.view_at or video.liked or video.faved)


def test_feed_pool_has_the_feed_shape(users):
    for video in users["full"][0].feed_pool:
        assert not video.tname and video.tid == 0
        assert video.view is not None and video.like is not None and video.danmaku is not None
        assert video.coin is None and video.favorite is None
        assert video.reply is None and video.share is None


def test_on_taste_looks_up_zoneless_records(users, world):
    user = users["full"][0]
    for video in user.feed_pool[:50]:
        zone = world.zone_of[world.index_of(video.bvid)]
        assert user.on_taste(video) == (zone in user.taste.zones)


def test_served_record_is_the_popular_or_feed_shape(users, world):
    user = users["full"][0]
    watched = world.videos[user.watches[-1][0]]
    served = served_record(watched)
    assert served == world.videos[user.watches[-1][0]]
    assert served.tname and served.coin is not None and served.view_at == 0
    feed = served_record(watched, "feed")
    assert not feed.tname and feed.coin is None and feed.like is not None


def test_utilities_match_utility(users, world):
    taste = users["full"][0].taste
    everything = utilities(world, taste)
    for index in range(0, len(world.videos), 97):
        assert everything[index] == pytest.approx(utility(world, taste, index))


def test_same_seed_same_user(world):
    for condition in CONDITIONS:
        a = make_user(world, np.random.default_rng(5), condition, n_watches=100)
        b = make_user(world, np.random.default_rng(5), condition, n_watches=100)
        assert a == b
    assert (make_user(world, np.random.default_rng(6), n_watches=100)
            != make_user(world, np.random.default_rng(5), n_watches=100))


def test_unknown_condition_is_refused(world):
    with pytest.raises(ValueError):
        make_user(world, np.random.default_rng(1), "everything")
