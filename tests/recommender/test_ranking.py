"""Ranking core without TensorFlow: filters, per-UP主 limit, fallback and quality order."""
from __future__ import annotations

from recommender.features import Vocabulary, serving_context
from recommender.ranking import (fallback_rank, quality_rank, rating_of, select_top,
                                 usable_candidates)
from domain import Video


def test_at_most_two_per_uploader():
    videos = [Video(bvid=f"v{i}", owner_mid=1 if i < 6 else i) for i in range(10)]
    chosen = select_top(videos, [10 - i for i in range(10)], 6)
    mids = [videos[i].owner_mid for i in chosen]
    assert mids.count(1) == 2 and len(chosen) == 6


def test_usable_candidates_drop_skipped_duplicates_and_empty_ids():
    videos = [Video(bvid="a"), Video(bvid="b"), Video(bvid="a"), Video(bvid="")]
    assert [v.bvid for v in usable_candidates(videos, {"b"})] == ["a"]


def test_rating_is_rounded_percentage_clamped():
    assert rating_of(0.876) == 88 and rating_of(1.5) == 99 and rating_of(-1) == 1
    assert rating_of(float("nan")) == 1 and rating_of(0.999) == 99 and rating_of(0.001) == 1


def test_fallback_prefers_what_the_user_watches(user, catalogue):
    context = serving_context(user.behaviour, Vocabulary())
    watched = {v.bvid for v in user.behaviour}
    candidates = [v for v in catalogue.videos if v.bvid not in watched][:300]
    ranked = fallback_rank(candidates, context, 10)
    liked_zones = set(user.taste.zones)
    share = sum(item.video.tname in liked_zones for item in ranked) / len(ranked)
    assert share >= 0.6
    assert all(item.reasons for item in ranked)
    assert [i.rating for i in ranked] == sorted((i.rating for i in ranked), reverse=True)
    assert all(0.0 <= i.score <= 1.0 and i.rating == rating_of(i.score) for i in ranked)


def test_quality_order_without_a_user(catalogue):
    ranked = quality_rank(catalogue.videos[:100], 5)
    ratings = [item.rating for item in ranked]
    assert ratings == sorted(ratings, reverse=True) and len(set(ratings)) > 1
    assert all(item.reasons[0].kind in ("quality", "popular") for item in ranked)
    assert all(0.0 <= i.score <= 1.0 and i.rating == rating_of(i.score) for i in ranked)
