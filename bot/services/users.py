"""A user's standing with the bot: completing a login, the /status report, logging out.

Logging out and switching to another Bilibili account forget the user through the one eraser
(``bot.services.erase.UserEraser``) after stopping a sync running for them (``SyncService.stop``:
it writes nothing more, so the erase leaves nothing of it and a later login keeps its data).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, TYPE_CHECKING

from bilibili import BilibiliClient
from bilibili.errors import BilibiliError
from bot.services.accounts import Accounts
from bot.services.erase import UserEraser
from bot.services.executors import BilibiliCalls
from bot.services.sync import Stage, SyncService
from bot.services.taste import Tastes
from storage import DigestSetting, MuteRecord, Storage
from domain import Credentials

if TYPE_CHECKING:  # the recommender is passed in; importing it loads numpy/jieba
    from recommender import Recommender
    from recommender.taste import Taste

logger = logging.getLogger(__name__)
LOGGED_IN, LOGIN_EXPIRED, LOGGED_OUT = "logged_in", "expired", "logged_out"


@dataclass(frozen=True)
class StatusReport:
    """What /status shows: login state (LOGGED_IN, LOGIN_EXPIRED or LOGGED_OUT) and the
    Bilibili name, records held, what serves (``Recommender.serving_summary``), when the model
    was trained, the digest setting, the hits of the videos shown in the taste's last days
    (``recommender.taste.HIT_DAYS``), the stage of a sync or training running now (None when
    none runs), the user's taste (None without records), ``mutes``, what the user left out of
    their lists ("fewer from this UP主 / zone"), and whether trainings wait for an unreachable
    broker."""

    login: str
    name: str
    records: int
    serving: dict[str, Any]
    trained_at: Any
    digest: DigestSetting | None
    hits: int
    shown: int
    running: Stage | None = None
    taste: Taste | None = None
    mutes: tuple[MuteRecord, ...] = ()
    training_delayed: bool = False


@dataclass
class Users:
    """Login completion, status and logout of the bot's users."""

    storage: Storage
    client: BilibiliClient
    calls: BilibiliCalls
    recommender: Recommender
    accounts: Accounts
    sync: SyncService
    eraser: UserEraser
    tastes: Tastes

    async def complete_login(self, tg_id: int, lang: str, creds: Credentials) -> str:
        """Store a confirmed login (another Bilibili account than before first erases the old
        one's data: nothing may mix) and resume a paused digest; returns the name to greet."""
        try:
            nav = await self.calls.run(self.client.nav, creds, tg_id=tg_id)
            uname, mid = nav.uname, nav.mid or creds.mid
        except BilibiliError as exc:
            logger.info("nav after login of user %s failed: %s", tg_id, exc)
            uname, mid = "", creds.mid
        previous = await asyncio.to_thread(self.storage.get_user, tg_id)
        if previous is not None and previous.mid and previous.mid != mid:
            await self.sync.stop(tg_id)
            await self.eraser.erase_user(tg_id)
        await asyncio.to_thread(self._save_login, tg_id, lang, creds, mid, uname)
        self.accounts.forget(tg_id)
        logger.info("user %s logged in as Bilibili mid %s", tg_id, mid)
        return uname or str(mid)

    def _save_login(self, tg_id: int, lang: str, creds: Credentials, mid: int,
                    uname: str) -> None:
        storage = self.storage
        storage.ensure_user(tg_id, lang)
        storage.set_language(tg_id, lang)
        storage.save_credentials(tg_id, creds)
        storage.set_bilibili_account(tg_id, mid, uname)
        if storage.get_digest(tg_id) is not None:
            storage.set_digest_paused(tg_id, False)

    async def status(self, tg_id: int) -> StatusReport:
        """The user's /status figures (all empty for a user the bot does not know)."""
        user = await asyncio.to_thread(self.storage.get_user, tg_id)
        if user is None:
            return StatusReport(LOGGED_OUT, "", 0, {"served": "content",
                                                    "served_reason": "pending"},
                                None, None, 0, 0)
        creds = await self.accounts.stored(tg_id)
        if creds is not None:
            login = LOGGED_IN
        else:
            login = LOGIN_EXPIRED if user.mid else LOGGED_OUT
        records = await asyncio.to_thread(self.storage.count_behaviour, tg_id)
        model = await asyncio.to_thread(self.storage.latest_model, tg_id)
        serving = await asyncio.to_thread(self.recommender.serving_summary, tg_id)
        digest = await asyncio.to_thread(self.storage.get_digest, tg_id)
        taste = await self.tastes.taste(tg_id)   # also the hit rate of the lists shown lately
        rate = taste.hit_rate
        hits, shown = (rate.hits, rate.shown) if rate is not None else (0, 0)
        mutes = await asyncio.to_thread(self.storage.load_mutes, tg_id)
        return StatusReport(login, str(user.uname or user.mid), records, serving,
                            model.trained_at if model else None, digest, hits, shown,
                            self.sync.stage(tg_id), taste if records else None, tuple(mutes),
                            self.recommender.training_delayed)

    async def logged_in_name(self, tg_id: int) -> str | None:
        """The Bilibili name (or mid) of a logged-in user; None without a readable login."""
        if await self.accounts.stored(tg_id) is None:
            return None
        user = await asyncio.to_thread(self.storage.get_user, tg_id)
        return str(user.uname or user.mid) if user else None

    async def log_out(self, tg_id: int) -> bool | None:
        """Stop the user's sync, sign the Bilibili web session out (best effort, see
        ``Accounts.sign_out``, whose answer is returned) and erase everything of the user."""
        await self.sync.stop(tg_id)
        signed_out = await self.accounts.sign_out(tg_id)
        await self.eraser.erase_user(tg_id)
        logger.info("user %s logged out; all their data erased", tg_id)
        return signed_out
