"""Which videos' counts were looked up: per user, found or gone, kept across re-opens."""
from __future__ import annotations

from domain import Video
from storage import Storage


def test_lookups_are_remembered_per_user(open_store, store):
    assert store.stats_looked_up(1, [10, 11]) == set()
    store.save_stats_lookups(1, found=[10, 11], gone=[12])
    store.save_stats_lookups(1, found=[], gone=[])  # nothing to write
    assert store.stats_looked_up(1, [10, 11, 12, 13]) == {10, 11, 12}
    assert store.stats_looked_up(2, [10, 11, 12]) == set()
    assert store.stats_looked_up(1, []) == set()
    store.close()
    with open_store() as again:
        assert again.stats_looked_up(1, range(2000)) == {10, 11, 12}  # more than one SQL chunk


def test_found_wins_within_a_call_and_later_calls_update(store):
    store.save_stats_lookups(1, found=[5], gone=[5, 6])
    rows = dict(store._connection().execute(
        "SELECT aid, found FROM stats_lookups WHERE tg_id = 1").fetchall())
    assert rows == {5: 1, 6: 0}
    store.save_stats_lookups(1, found=[6], gone=[])
    assert store.stats_looked_up(1, [5, 6]) == {5, 6}
    assert dict(store._connection().execute(
        "SELECT aid, found FROM stats_lookups WHERE tg_id = 1").fetchall()) == {5: 1, 6: 1}


def test_counts_on_stored_behaviour_survive_a_record_without_counts(store):
    store.save_behaviour(1, [Video("BV1", aid=5, view=100, favorite=3, danmaku=0, duration=60,
                                   owner_name="UP", view_at=10, progress=5)])
    store.save_behaviour(1, [Video("BV1", aid=5, view_at=20, progress=-1)])  # history again
    (video,) = store.load_behaviour(1)
    assert (video.view, video.favorite, video.danmaku, video.duration, video.owner_name) == \
        (100, 3, 0, 60, "UP")
    assert (video.view_at, video.progress) == (20, -1)
