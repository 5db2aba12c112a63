"""Sync a user's Bilibili behaviour into storage and retrain their model.

A sync fetches history, favourites, coins, likes and the feed, stores the feed and the current
popular list as candidate pools (the training's negatives), fills the counts the history lacks
(bot.services.enrich), stores the records, then trains.

One sync per user at a time: ``claim`` checks and claims in one step on the event loop, so ten
quick /sync give one sync; the claim lasts until the sync ends. /logout and a login with another
account ``stop`` the user's sync: the generation is bumped and a sync write in flight is waited
for, so the caller's erase covers everything the old sync wrote. Every sync write (``_write``)
happens only while its generation is current, under the user's write lock, and a training's new
model is registered the same way (else discarded with its files): a stopped sync writes nothing
more and never erases, so a later login's data stays. It stops after its current step and ends
in SyncAborted (even when its Bilibili call failed for the missing login), so nothing is
reported to an erased user.

Progress: ``sync_and_train(tg_id, observer)`` calls observer(Stage) on the event loop at each
step (history n/N, favourites, coins and likes, feed, counts n/N, training queue place or
epoch k/K); ``stage(tg_id)`` is the latest stage of a running sync (for /status).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, TYPE_CHECKING

from bilibili import BilibiliClient
from bilibili.errors import BilibiliError
from bot.services.accounts import Accounts, LoginExpired, LoginRequired, UserLocks
from bot.services.enrich import Enricher
from bot.services.popular import PopularCache
from storage import Storage
from domain import Video

if TYPE_CHECKING:  # the recommender is passed in; importing it loads numpy/jieba
    from recommender import Recommender

logger = logging.getLogger(__name__)


HISTORY, FAVOURITES, COINS_LIKES, FEED, COUNTS = "history", "favourites", "coins_likes", "feed", \
    "counts"
QUEUED, TRAINING = "queued", "training"   # recommender.service's training stages


@dataclass(frozen=True)
class Stage:
    """One step of a running sync: its name (the constants above), and how far it is (done
    of total; total 0 when unknown, e.g. a training whose worker is still starting; for
    QUEUED, done is the place in the queue)."""

    name: str
    done: int = 0
    total: int = 0


Observer = Callable[[Stage], None]


class SyncAborted(Exception):
    """The user logged out while their sync was running."""


@dataclass(frozen=True)
class SyncResult:
    """What a sync and training achieved."""

    n_records: int
    accepted: bool
    metrics: dict[str, Any]
    message: str


class SyncService:
    """Sync + train per user, serialised per user."""

    def __init__(self, storage: Storage, client: BilibiliClient, recommender: Recommender,
                 accounts: Accounts, *, history_cap: int, enricher: Enricher,
                 popular: PopularCache,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.storage = storage
        self.client = client
        self.recommender = recommender
        self.accounts = accounts
        self.history_cap = history_cap
        self.enricher = enricher
        self.popular = popular
        self._clock = clock
        self._locks = UserLocks()
        self._writes = UserLocks()           # user -> held by a sync write and by ``stop``
        self._generation: dict[int, int] = {}
        self._since: dict[int, float] = {}   # user -> when their running sync was claimed
        self._holders: dict[int, int] = {}   # user -> syncs running or waiting for the lock
        self._stages: dict[int, Stage] = {}  # user -> the latest stage of their running sync

    def stage(self, tg_id: int) -> Stage | None:
        """The latest stage of the user's running sync or training (None when none runs)."""
        return self._stages.get(tg_id) if self.busy(tg_id) else None

    def _reporter(self, tg_id: int, observer: Observer | None
                  ) -> tuple[Observer, Callable[[str, int, int], None]]:
        """(report on the loop, report from a worker thread) of one sync's stages."""
        loop = asyncio.get_running_loop()

        def report(stage: Stage) -> None:
            if not self.busy(tg_id):  # a late thread report after the sync ended
                return
            self._stages[tg_id] = stage
            if observer is not None:
                try:
                    observer(stage)
                except Exception:  # progress is a nicety: it never breaks the sync
                    logger.exception("progress observer of user %s failed", tg_id)

        def from_thread(name: str, done: int, total: int) -> None:
            loop.call_soon_threadsafe(report, Stage(name, done, total))
        return report, from_thread

    def busy(self, tg_id: int) -> bool:
        """Whether a sync of this user is claimed or running."""
        return tg_id in self._since

    def claim(self, tg_id: int) -> float | None:
        """Claim the user's sync: None when claimed now (run sync_and_train next, without an
        await in between), else the seconds since the running one was claimed."""
        since = self._since.get(tg_id)
        if since is not None:
            return self._clock() - since
        self._since[tg_id] = self._clock()
        return None

    def cancel(self, tg_id: int) -> None:
        """Make a running sync of this user stop: it writes nothing more (see ``stop``)."""
        self._generation[tg_id] = self._generation.get(tg_id, 0) + 1

    async def stop(self, tg_id: int) -> None:
        """Cancel the user's sync and wait for its write in flight (never for a training):
        afterwards it writes nothing, so an erase now removes all it wrote (/logout, a login
        with another account)."""
        self.cancel(tg_id)
        async with self._writes.get(tg_id):
            pass

    async def _write(self, tg_id: int, generation: int, fn: Callable[..., Any], *args: Any
                     ) -> Any:
        """fn(*args) in a thread, only while generation is current; SyncAborted otherwise."""
        async with self._writes.get(tg_id):
            await self._checkpoint(tg_id, generation)
            return await asyncio.to_thread(fn, *args)

    def _commit(self, tg_id: int, generation: int) -> Callable[[Callable[[], None]], bool]:
        """The training's commit (recommender.service.Commit): registers through ``_write``
        on the loop; False (discard) when the user's sync was stopped meanwhile."""
        loop = asyncio.get_running_loop()

        def commit(register: Callable[[], None]) -> bool:
            future = asyncio.run_coroutine_threadsafe(
                self._write(tg_id, generation, register), loop)
            try:
                future.result()
            except SyncAborted:
                return False
            return True
        return commit

    @contextlib.asynccontextmanager
    async def _running(self, tg_id: int) -> AsyncIterator[int]:
        """Hold the user's claim and lock; yields the generation. After a /logout meanwhile,
        a failure for the missing login becomes SyncAborted."""
        self._since.setdefault(tg_id, self._clock())
        self._holders[tg_id] = self._holders.get(tg_id, 0) + 1
        generation = self._generation.get(tg_id, 0)  # a /logout while waiting cancels too
        try:
            async with self._locks.get(tg_id):
                try:
                    yield generation
                except (LoginRequired, LoginExpired, BilibiliError):
                    await self._checkpoint(tg_id, generation)
                    raise
        finally:
            self._holders[tg_id] -= 1
            if not self._holders[tg_id]:
                del self._holders[tg_id], self._since[tg_id]
                self._stages.pop(tg_id, None)

    async def retrain(self, tg_id: int) -> None:
        """Train again from the stored data (the model file was damaged); quiet."""
        async with self._running(tg_id) as generation:
            report = await self.recommender.train_async(tg_id,
                                                        commit=self._commit(tg_id, generation))
            await self._checkpoint(tg_id, generation)
            logger.info("user %s: retraining %s (%s)", tg_id,
                        "accepted" if report.accepted else "not accepted", report.message)

    async def sync_and_train(self, tg_id: int, observer: Observer | None = None) -> SyncResult:
        """Fetch behaviour and candidates, fill missing counts, store them; train. observer
        hears each stage (see module doc)."""
        report, from_thread = self._reporter(tg_id, observer)
        async with self._running(tg_id) as generation:
            videos = await self._fetch_behaviour(tg_id, generation, report, from_thread)
            await self._store_popular(tg_id, generation)
            await self._checkpoint(tg_id, generation)
            enriched = await self.enricher.enrich(
                tg_id, videos, still_wanted=lambda: self._generation.get(tg_id, 0) == generation,
                progress=lambda done, total: report(Stage(COUNTS, done, total)))
            await self._checkpoint(tg_id, generation)
            await self._write(tg_id, generation, self.storage.save_behaviour, tg_id,
                              enriched.videos)
            # only after the counts are stored: a lookup remembered is never asked again
            await self._write(tg_id, generation, self.storage.save_stats_lookups, tg_id,
                              enriched.found, enriched.gone)
            n_records = await asyncio.to_thread(self.storage.count_behaviour, tg_id)
            logger.info("user %s: synced %d behaviour records", tg_id, n_records)
            await self._checkpoint(tg_id, generation)
            report = await self.recommender.train_async(tg_id, from_thread,
                                                        commit=self._commit(tg_id, generation))
            await self._checkpoint(tg_id, generation)
            if report.accepted:  # the first /hot after "model ready" is then as fast as any
                await self._write(tg_id, generation, self.recommender.prepare, tg_id)
            logger.info("user %s: training %s (%s)", tg_id,
                        "accepted" if report.accepted else "not accepted", report.message)
            return SyncResult(n_records=report.n_records or n_records, accepted=report.accepted,
                              metrics=dict(report.metrics), message=report.message)

    async def _fetch_behaviour(self, tg_id: int, generation: int, report: Observer,
                               from_thread: Callable[[str, int, int], None]) -> list[Video]:
        creds = await self.accounts.credentials(tg_id)
        mid = creds.mid
        if not mid:
            user = await asyncio.to_thread(self.storage.get_user, tg_id)
            mid = user.mid if user else 0
        cap = self.history_cap
        report(Stage(HISTORY, 0, cap))
        history = await self.accounts.call(tg_id, lambda c: self.client.history(
            c, cap=cap, progress=lambda n: from_thread(HISTORY, n, cap)))
        report(Stage(FAVOURITES))
        favourites = await self.accounts.call(tg_id, lambda c: self.client.favourites(c, mid))
        report(Stage(COINS_LIKES))
        coined = await self.accounts.call(tg_id, lambda c: self.client.coined(c, mid))
        liked = await self.accounts.call(tg_id, lambda c: self.client.liked(c, mid))
        report(Stage(FEED))
        feed = await self.accounts.call(tg_id, lambda c: self.client.feed(c))
        await self._write(tg_id, generation, self.storage.save_pool, tg_id, "feed", feed)
        return [*history, *favourites, *coined, *liked]

    async def _store_popular(self, tg_id: int, generation: int) -> None:
        """The current popular list into the user's pool, so even a user who never asked /hot
        has unwatched candidates as negatives; a failure only costs those."""
        try:
            snapshot = await self.popular.get()
        except BilibiliError as exc:
            logger.warning("user %s: no popular list for the pool: %s", tg_id, exc)
            return
        await self._write(tg_id, generation, self.storage.save_pool, tg_id, "popular",
                          snapshot.videos)

    async def _checkpoint(self, tg_id: int, generation: int) -> None:
        """SyncAborted when the user's sync was stopped: it never erases, since whoever
        stopped it erased (see ``stop``) and a later login's data must stay."""
        if self._generation.get(tg_id, 0) != generation:
            raise SyncAborted()
