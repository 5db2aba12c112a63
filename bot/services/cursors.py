"""Server-side continuations of the lists shown to users (the ▶ "more" button).

A list's ▶ button carries only a short random token and the batch it asks for; the cursor
behind it holds what the list was ranked from (the candidates, the rank channel, who it was
ranked for, what was excluded) and grows its exclusions by every batch shown, so the next batch
re-ranks the same candidates without anything shown before (and without what the user muted or
disliked meanwhile). Cursors live in memory for ``CURSOR_TTL_S`` (a day: a digest's ▶ works
until the next digest), at most ``CURSORS_PER_USER`` per user and ``CURSOR_MAX_USERS`` users
(the user whose latest list is the oldest goes first); an expired or unknown token is answered
with a toast.
Registered with the eraser. Memory: a /hot cursor shares the popular list's tuple; an /explore
cursor holds its feed (~60 videos, ~100 KB), so the bounds keep the worst case near 2.5 GB and a
day of digests for 5,000 users near 0.5 GB.
"""
from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

from domain import Video

CURSOR_TTL_S = 24 * 3600
CURSORS_PER_USER = 5
CURSOR_MAX_USERS = 5_000
TOKEN_BYTES = 6                     # 8 URL-safe characters


@dataclass(frozen=True)
class ListSource:
    """What a list was ranked from: the rank channel ("hot"/"explore"), the candidates as
    passed to the recommender, and the BV ids excluded on top of its own filters."""

    channel: str
    candidates: tuple[Video, ...]
    exclude: frozenset[str] = frozenset()


@dataclass
class ListCursor:
    """One list's continuation: ranked for ``rank_as`` (None = the quality order), logged on
    ``log_channel``, ``shown`` entries so far; ``step`` is the batch the ▶ button asks for."""

    token: str
    rank_as: int | None
    source: ListSource
    log_channel: str
    size: int
    exclude: set[str]
    shown: int
    made_at: float
    step: int = 1
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ListCursors:
    """The users' cursors (see module doc); used on the event loop only."""

    def __init__(self, *, ttl_s: float = CURSOR_TTL_S, per_user: int = CURSORS_PER_USER,
                 max_users: int = CURSOR_MAX_USERS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._per_user = per_user
        self._max_users = max_users
        self._clock = clock
        self._users: OrderedDict[int, OrderedDict[str, ListCursor]] = OrderedDict()

    def open(self, tg_id: int, rank_as: int | None, source: ListSource, shown: list[str],
             size: int, log_channel: str) -> ListCursor:
        """A new cursor after a list of ``shown`` BV ids (batches of ``size``)."""
        cursor = ListCursor(secrets.token_urlsafe(TOKEN_BYTES), rank_as, source, log_channel,
                            max(1, size), set(source.exclude) | set(shown), len(shown),
                            self._clock())
        cursors = self._users.setdefault(tg_id, OrderedDict())
        self._users.move_to_end(tg_id)
        cursors[cursor.token] = cursor
        while len(cursors) > self._per_user:
            cursors.popitem(last=False)
        while len(self._users) > self._max_users:
            self._users.popitem(last=False)
        return cursor

    def get(self, tg_id: int, token: str) -> ListCursor | None:
        """The user's live cursor of that token (None when unknown, someone else's or
        expired)."""
        cursors = self._users.get(tg_id)
        cursor = cursors.get(token) if cursors else None
        if cursor is None:
            return None
        if self._clock() - cursor.made_at > self._ttl_s:
            del cursors[token]
            return None
        return cursor

    def videos(self, tg_id: int) -> list[Video]:
        """Every candidate of the user's live cursors, newest list first."""
        cursors = self._users.get(tg_id) or {}
        return [video for cursor in reversed(cursors.values())
                for video in cursor.source.candidates]

    def forget(self, tg_id: int) -> None:
        """Drop the user's cursors (erased users)."""
        self._users.pop(tg_id, None)
