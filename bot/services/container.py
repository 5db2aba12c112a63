"""The services of one running bot, built once by the composition root (``bot.app``)."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Coroutine, TYPE_CHECKING

from bilibili import BilibiliClient
from bot.services.accounts import Accounts
from bot.services.cursors import ListCursors
from bot.services.digest import DigestService
from bot.services.enrich import Enricher
from bot.services.erase import UserEraser
from bot.services.executors import BilibiliCalls
from bot.services.feedback import FeedbackService
from bot.services.lists import ListService
from bot.services.popular import PopularCache
from bot.services.preferences import Preferences
from bot.services.sync import SyncService
from bot.services.taste import Tastes
from bot.services.users import Users
from bot.settings import Settings
from storage import Storage

if TYPE_CHECKING:  # the recommender is passed in; importing it loads numpy/jieba
    from recommender import Recommender

logger = logging.getLogger(__name__)

POPULAR_PAGES = 2
POPULAR_PAGE_SIZE = 50
DIGEST_CONCURRENCY = 8


class LoginSessions:
    """At most one running QR login task per user; a new one cancels the old one."""

    def __init__(self) -> None:
        self._tasks: dict[int, asyncio.Task] = {}
        self.closing = False  # set at shutdown: cancelled logins then edit nothing

    def start(self, tg_id: int, coro: Coroutine) -> asyncio.Task:
        """Cancel the user's running login (if any) and run coro as the new one."""
        self.cancel(tg_id)
        task = asyncio.get_running_loop().create_task(coro, name=f"login:{tg_id}")
        self._tasks[tg_id] = task
        task.add_done_callback(lambda done, uid=tg_id: self._finished(uid, done))
        return task

    def cancel(self, tg_id: int) -> bool:
        """Cancel the user's running login; True when there was one."""
        task = self._tasks.pop(tg_id, None)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    def active(self, tg_id: int) -> bool:
        task = self._tasks.get(tg_id)
        return task is not None and not task.done()

    async def close(self) -> None:
        """Cancel every running login and wait for them (at shutdown)."""
        self.closing = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _finished(self, tg_id: int, task: asyncio.Task) -> None:
        if self._tasks.get(tg_id) is task:
            del self._tasks[tg_id]
        if not task.cancelled() and task.exception() is not None:
            logger.error("login task of user %s failed", tg_id, exc_info=task.exception())


class BackgroundTasks:
    """Fire-and-forget tasks (sync + train) kept referenced until done; errors are logged."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, coro: Coroutine, name: str) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


@dataclass
class BotServices:
    """Everything handlers and jobs use; lives in ``application.bot_data["services"]``
    (handlers reach it as ``context.services``, see ``bot.context``)."""

    settings: Settings
    storage: Storage
    bilibili: BilibiliClient
    recommender: Recommender
    popular: PopularCache
    accounts: Accounts
    lists: ListService
    sync: SyncService
    digests: DigestService
    users: Users
    eraser: UserEraser
    calls: BilibiliCalls
    feedback: FeedbackService
    preferences: Preferences
    tastes: Tastes
    logins: LoginSessions = field(default_factory=LoginSessions)
    background: BackgroundTasks = field(default_factory=BackgroundTasks)
    digest_slots: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(DIGEST_CONCURRENCY))

    @classmethod
    def create(cls, settings: Settings, storage: Storage, bilibili: BilibiliClient,
               recommender: Recommender, calls: BilibiliCalls) -> "BotServices":
        """Wire the services over the three packages; every Bilibili call runs through
        ``calls`` (bot.services.executors) and every in-memory per-user store registers with
        the eraser."""
        popular = PopularCache(
            lambda: bilibili.popular(pages=POPULAR_PAGES, page_size=POPULAR_PAGE_SIZE),
            settings.popular_ttl_s, offload=calls.run)
        eraser = UserEraser(storage)
        accounts = Accounts(storage, bilibili, calls, refresh_check_s=settings.refresh_check_s)
        cursors = ListCursors()
        lists = ListService(storage, bilibili, recommender, accounts, popular, cursors=cursors)
        for store in (recommender, accounts, lists, cursors):
            eraser.register(store.forget)
        enricher = Enricher(storage, bilibili, chunk=settings.enrich_chunk,
                            pace_s=settings.enrich_pace_s, cap=settings.enrich_cap,
                            offload=calls.run)
        sync = SyncService(storage, bilibili, recommender, accounts,
                           history_cap=settings.history_cap, enricher=enricher,
                           popular=popular)
        digests = DigestService(storage, lists, default_zone=settings.timezone)
        tastes = Tastes(storage, popular, recommender)
        users = Users(storage, bilibili, calls, recommender, accounts, sync, eraser, tastes)
        preferences = Preferences(storage, digests, default_zone=settings.timezone)
        eraser.register(preferences.forget)
        return cls(settings, storage, bilibili, recommender, popular, accounts, lists, sync,
                   digests, users, eraser, calls, FeedbackService(storage, lists), preferences,
                   tastes)
