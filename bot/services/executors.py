"""The bot's two thread pools, built and shut down by the composition root (``bot.app``).

Blocking work never runs on the event loop, and slow work never shares threads with fast work:

- Bilibili requests (up to BILIREC_BILIBILI_TIMEOUT_S each when Bilibili is slow) run on their
  own pool through ``BilibiliCalls.run``. Per user at most ``per_user`` of them run at once; the
  user's further calls wait for a slot on the event loop, holding no thread, so one user's burst
  of commands cannot fill the pool.
- Storage reads and writes and ranking (milliseconds) run on the storage pool, which the
  composition root installs as the event loop's default executor: every ``asyncio.to_thread``
  lands there.

So 20 slow Bilibili calls fill (part of) the Bilibili pool and never delay another user's /status
(tests/bot/test_responsive.py; bench/bench_serving.py measures the delay).
"""
from __future__ import annotations

import asyncio
import functools
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

T = TypeVar("T")
STORAGE_THREADS = 8   # storage holds one connection and ranking holds the GIL: more would queue


def storage_pool() -> ThreadPoolExecutor:
    """The pool for storage and ranking (the event loop's default executor)."""
    return ThreadPoolExecutor(max_workers=STORAGE_THREADS, thread_name_prefix="storage")


class BilibiliCalls:
    """Runs blocking Bilibili client calls on their own pool, at most ``per_user`` at once per
    user (see module doc)."""

    def __init__(self, threads: int, per_user: int) -> None:
        if threads < 1 or per_user < 1:
            raise ValueError("threads and per_user must be at least 1")
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bilibili")
        self.per_user = per_user
        # one semaphore per user while any of their calls runs or waits (weakly held)
        self._slots: weakref.WeakValueDictionary[int, asyncio.Semaphore] = \
            weakref.WeakValueDictionary()
        self._waiting: dict[int, int] = {}

    async def run(self, fn: Callable[..., T], *args, tg_id: int | None = None) -> T:
        """``fn(*args)`` on the Bilibili pool; with ``tg_id`` it counts against that user's
        slots (calls for no user in particular, like the popular list, do not)."""
        loop = asyncio.get_running_loop()
        call = functools.partial(fn, *args)
        if tg_id is None:
            return await loop.run_in_executor(self._pool, call)
        slots = self._slots.get(tg_id)
        if slots is None:
            slots = asyncio.Semaphore(self.per_user)
            self._slots[tg_id] = slots
        self._waiting[tg_id] = self._waiting.get(tg_id, 0) + 1
        try:
            await slots.acquire()
        finally:
            self._leave(tg_id)
        try:
            return await loop.run_in_executor(self._pool, call)
        finally:
            slots.release()

    def _leave(self, tg_id: int) -> None:
        left = self._waiting[tg_id] - 1
        if left:
            self._waiting[tg_id] = left
        else:
            del self._waiting[tg_id]

    def waiting(self, tg_id: int) -> int:
        """How many of the user's calls wait for a slot now."""
        return self._waiting.get(tg_id, 0)

    def shutdown(self) -> None:
        """Stop taking calls; queued ones are cancelled, running ones finish in their thread."""
        self._pool.shutdown(wait=False, cancel_futures=True)
