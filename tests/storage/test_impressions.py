"""Impressions: logged lists round-trip in order, filtered by time, capped, and no revision bump."""
from __future__ import annotations

import pytest

from domain import Impression, Video
from storage import Storage


def shown(*bvids: str, score: float | None = 0.5) -> list[tuple[Video, float | None]]:
    return [(Video(bvid, title=f"t-{bvid}", view=100), score) for bvid in bvids]


@pytest.fixture(autouse=True)
def users(store):
    for tg_id in (1, 2):
        store.ensure_user(tg_id)


def test_a_logged_list_round_trips_with_positions(store, clock):
    store.record_impressions(1, "hot", "model", [(Video("BVa", title="甲", tags=("x",)), 0.9),
                                                 (Video("BVb"), None)])
    assert store.load_impressions(1) == [
        Impression(Video("BVa", title="甲", tags=("x",)), "hot", 0, clock.now, "model", 0.9),
        Impression(Video("BVb"), "hot", 1, clock.now, "model", None)]


def test_impressions_come_oldest_first_and_since_filters(store, clock):
    store.record_impressions(1, "digest", "content", shown("BV1", "BV2"))
    first = clock.now
    later = clock.advance(3600)
    store.record_impressions(1, "explore", "quality", shown("BV3"))
    store.record_impressions(2, "hot", "model", shown("BV9"))
    got = store.load_impressions(1)
    assert [(i.bvid, i.channel, i.position, i.shown_at) for i in got] == [
        ("BV1", "digest", 0, first), ("BV2", "digest", 1, first), ("BV3", "explore", 0, later)]
    assert [i.bvid for i in store.load_impressions(1, since=later)] == ["BV3"]
    assert store.load_impressions(3) == []


def test_the_oldest_batches_beyond_the_cap_are_dropped(open_store, clock):
    with open_store(clock=clock, impression_cap=3) as store:
        store.ensure_user(1)
        store.ensure_user(2)
        for batch in ("a", "b", "c"):
            store.record_impressions(1, "hot", "model", shown(f"BV{batch}1", f"BV{batch}2"))
            clock.advance()
        store.record_impressions(2, "hot", "model", shown("BVz1"))
        assert [i.bvid for i in store.load_impressions(1)] == ["BVb1", "BVb2", "BVc1", "BVc2"]
        assert [i.bvid for i in store.load_impressions(2)] == ["BVz1"]


def test_logging_is_no_ranking_input_and_rejects_a_blank_channel(store):
    before = store.user_revisions(1)
    store.record_impressions(1, "hot", "model", shown("BV1"))
    store.record_impressions(1, "hot", "model", [])
    assert store.user_revisions(1) == before
    with pytest.raises(ValueError):
        store.record_impressions(1, "", "model", shown("BV1"))


def test_an_unknown_or_erased_user_is_not_brought_back_by_logging(store):
    store.erase_user(1)
    store.record_impressions(1, "hot", "model", shown("BV1"))
    store.record_impressions(3, "hot", "model", shown("BV1"))
    assert store.get_user(1) is None and store.get_user(3) is None
    assert store.load_impressions(1) == [] and store.load_impressions(3) == []
