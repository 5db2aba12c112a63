"""The ▶ cursors in memory: per user, expiring, bounded, forgotten with the user."""
from __future__ import annotations

from bot.services.cursors import ListCursors, ListSource
from domain import Video

SOURCE = ListSource("hot", (Video("BV1a"), Video("BV1b")), frozenset({"BV1x"}))


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_cursor_belongs_to_its_user_and_expires():
    clock = Clock()
    cursors = ListCursors(ttl_s=100, clock=clock)
    cursor = cursors.open(1, 1, SOURCE, ["BV1a"], 5, "hot")
    assert cursor.exclude == {"BV1a", "BV1x"} and cursor.shown == 1 and cursor.step == 1
    assert cursors.get(1, cursor.token) is cursor
    assert cursors.get(2, cursor.token) is None             # another user's token
    assert [v.bvid for v in cursors.videos(1)] == ["BV1a", "BV1b"]
    clock.now = 101
    assert cursors.get(1, cursor.token) is None
    assert cursors.get(1, cursor.token) is None             # and it is gone


def test_cursors_are_bounded_per_user_and_over_users_and_forgotten():
    cursors = ListCursors(per_user=2, max_users=2)
    first, second, third = (cursors.open(1, 1, SOURCE, [], 5, "hot") for _ in range(3))
    assert cursors.get(1, first.token) is None
    assert cursors.get(1, second.token) and cursors.get(1, third.token)
    other = cursors.open(2, 2, SOURCE, [], 5, "hot")
    cursors.open(3, 3, SOURCE, [], 5, "hot")                 # user 1 was used longest ago
    assert cursors.get(1, third.token) is None and cursors.get(2, other.token)
    cursors.forget(2)
    assert cursors.get(2, other.token) is None and cursors.videos(2) == []
