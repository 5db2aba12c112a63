"""Mutes ("fewer from this UP主 / zone") and undoing a 👍/👎: stored per user, feedback revision
moves on every change, erased with the user."""
from __future__ import annotations

import pytest

from domain import Video


def test_mutes_round_trip_and_move_the_feedback_revision(store):
    store.ensure_user(2)
    before = store.user_revisions(1)["feedback"]
    author = store.add_mute(1, "author", "3000007", "老番茄")
    zone = store.add_mute(1, "zone", "美食制作", "美食制作")
    assert store.user_revisions(1)["feedback"] > before
    assert [(m.kind, m.key, m.name) for m in store.load_mutes(1)] == [
        ("author", "3000007", "老番茄"), ("zone", "美食制作", "美食制作")]
    assert store.add_mute(1, "author", "3000007", "other name") == author   # first one stays
    assert store.get_mute(1, zone.id) == zone
    assert store.get_mute(2, zone.id) is None                            # not theirs
    assert store.load_mutes(2) == []
    revision = store.user_revisions(1)["feedback"]
    assert store.remove_mute(1, "zone", "美食制作") == zone
    assert store.user_revisions(1)["feedback"] > revision
    assert store.remove_mute(1, "zone", "美食制作") is None
    assert [m.key for m in store.load_mutes(1)] == ["3000007"]


@pytest.mark.parametrize("kind,mute_key", [("video", "BV1"), ("author", " "), ("zone", "")])
def test_a_mute_needs_a_kind_and_a_key(store, kind, mute_key):
    with pytest.raises(ValueError):
        store.add_mute(1, kind, mute_key, "x")


def test_feedback_can_be_undone(store):
    store.add_feedback(1, "BV1", 1, Video("BV1"))
    store.add_feedback(1, "BV2", -1)
    revision = store.user_revisions(1)["feedback"]
    assert store.remove_feedback(1, "BV1") is True
    assert store.user_revisions(1)["feedback"] > revision
    assert store.load_feedback(1) == {"BV2": -1}
    revision = store.user_revisions(1)["feedback"]
    assert store.remove_feedback(1, "BV1") is False
    assert store.user_revisions(1)["feedback"] == revision


def test_erase_user_drops_their_mutes(store):
    store.add_mute(1, "author", "5", "a")
    store.add_mute(2, "author", "5", "a")
    store.erase_user(1)
    assert store.load_mutes(1) == []
    assert len(store.load_mutes(2)) == 1
