"""The shared popular-list cache: one fetch per window, shared by concurrent askers, stale on faults."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bilibili.errors import BilibiliUnavailable, RiskControl
from bot.services.popular import PopularCache
from tests.fakes.fake_bilibili import make_video


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Fetcher:
    """A blocking fetch that counts its calls and can fail."""

    def __init__(self, delay: float = 0.05) -> None:
        self.calls = 0
        self.delay = delay
        self.error: Exception | None = None
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            self.calls += 1
        time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return [make_video(i) for i in range(5)]


def test_concurrent_askers_share_one_fetch_per_window():
    fetch, clock = Fetcher(), Clock()
    cache = PopularCache(fetch, ttl_s=600, clock=clock)

    async def scenario():
        snapshots = await asyncio.gather(*(cache.get() for _ in range(200)))
        assert all(len(s.videos) == 5 and not s.stale for s in snapshots)
        assert fetch.calls == 1
        clock.now += 599
        await asyncio.gather(*(cache.get() for _ in range(50)))
        assert fetch.calls == 1
        clock.now += 2  # the window is over
        await asyncio.gather(*(cache.get() for _ in range(50)))
        assert fetch.calls == 2

    asyncio.run(scenario())


def test_fault_serves_the_last_list_with_its_age_and_backs_off():
    fetch, clock = Fetcher(delay=0), Clock()
    cache = PopularCache(fetch, ttl_s=600, retry_s=60, clock=clock)

    async def scenario():
        await cache.get()
        clock.now += 700
        fetch.error = RiskControl("/x/web-interface/popular", "blocked", -412)
        snapshot = await cache.get()
        assert snapshot.stale and snapshot.age_s == pytest.approx(700)
        calls = fetch.calls
        clock.now += 30  # within the back-off: no new request
        assert (await cache.get()).stale
        assert fetch.calls == calls
        clock.now += 31
        fetch.error = None
        snapshot = await cache.get()
        assert not snapshot.stale and fetch.calls == calls + 1

    asyncio.run(scenario())


def test_fault_without_any_list_raises_and_does_not_hammer():
    fetch, clock = Fetcher(delay=0), Clock()
    fetch.error = BilibiliUnavailable("/x/web-interface/popular", "HTTP 500", 500)
    cache = PopularCache(fetch, ttl_s=600, retry_s=60, clock=clock)

    async def scenario():
        for _ in range(5):
            with pytest.raises(BilibiliUnavailable):
                await cache.get()
        assert fetch.calls == 1

    asyncio.run(scenario())
