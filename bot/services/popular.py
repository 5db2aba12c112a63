"""The popular list, shared by all users: fetched at most once per TTL window.

Concurrent askers wait on one lock and share one fetch. When Bilibili faults, the last good list
is served with its age; after a failed fetch the cache waits ``retry_s`` before asking again, so
a fault is not hammered by every user's request.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

from bilibili.errors import BilibiliError
from domain import Video

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PopularSnapshot:
    """The cached list; ``stale`` when it is older than the window because a fetch failed."""

    videos: list[Video]
    age_s: float
    stale: bool


class PopularCache:
    """TTL cache around a blocking fetch function, run in a thread by ``offload`` (the bot
    passes its Bilibili pool's ``BilibiliCalls.run``)."""

    def __init__(self, fetch: Callable[[], list[Video]], ttl_s: float, *,
                 retry_s: float = 60.0, clock: Callable[[], float] = time.monotonic,
                 offload: Callable[[Callable[[], list[Video]]], Awaitable[list[Video]]]
                 = asyncio.to_thread) -> None:
        self._fetch = fetch
        self._offload = offload
        self._ttl_s = ttl_s
        self._retry_s = min(retry_s, ttl_s)
        self._clock = clock
        self._lock = asyncio.Lock()
        self._videos: list[Video] | None = None
        self._fetched_at = 0.0
        self._failed_at: float | None = None
        self._last_error: BilibiliError | None = None
        self.fetches = 0  # completed fetch attempts, for the bench and tests

    def peek(self) -> list[Video]:
        """The cached list without fetching (empty when none)."""
        return list(self._videos or [])

    def _fresh(self, now: float) -> PopularSnapshot | None:
        if self._videos is not None and now - self._fetched_at < self._ttl_s:
            return PopularSnapshot(self._videos, now - self._fetched_at, stale=False)
        return None

    def _stale_or_raise(self, now: float) -> PopularSnapshot:
        if self._videos is not None:
            return PopularSnapshot(self._videos, now - self._fetched_at, stale=True)
        assert self._last_error is not None
        raise self._last_error

    async def get(self) -> PopularSnapshot:
        """The current list; raises the BilibiliError when there has never been a good one."""
        snapshot = self._fresh(self._clock())
        if snapshot:
            return snapshot
        async with self._lock:
            now = self._clock()
            snapshot = self._fresh(now)
            if snapshot:
                return snapshot
            if self._failed_at is not None and now - self._failed_at < self._retry_s:
                return self._stale_or_raise(now)
            try:
                self.fetches += 1
                videos = await self._offload(self._fetch)
            except BilibiliError as exc:
                now = self._clock()
                self._failed_at, self._last_error = now, exc
                logger.warning("popular list fetch failed: %s", exc)
                return self._stale_or_raise(now)
            now = self._clock()
            self._videos, self._fetched_at, self._failed_at = videos, now, None
            logger.info("popular list fetched: %d videos", len(videos))
            return PopularSnapshot(videos, 0.0, stale=False)
