"""Per-user Bilibili calls with cookie care.

Before a user's Bilibili call the cookies are checked (at most once per ``refresh_check_s``) and
refreshed with the refresh_token when Bilibili says a refresh is due. When a call answers -101,
one refresh is attempted; if the login is still gone the credentials are deleted, the user's
digests are paused and ``LoginExpired`` is raised so the caller can ask for a new /login.
Only the user's own credentials are ever loaded for that user's call.
"""
from __future__ import annotations

import asyncio
import logging
import time
import weakref
from typing import Callable, TypeVar

from bilibili import BilibiliClient
from bilibili.errors import BilibiliError, BilibiliUnavailable, NotLoggedIn, RiskControl
from bot.services.executors import BilibiliCalls
from storage import CredentialsUnreadable, Storage
from domain import Credentials

logger = logging.getLogger(__name__)
T = TypeVar("T")
SIGN_OUT_WAIT_S = 5.0  # longest /logout waits for Bilibili's sign-out before erasing


class LoginRequired(Exception):
    """The user has no Bilibili login."""


class LoginExpired(Exception):
    """The user's Bilibili login is gone even after a refresh attempt (credentials deleted)."""


class UserLocks:
    """One asyncio.Lock per user, created on demand and dropped when nobody holds it."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def get(self, tg_id: int) -> asyncio.Lock:
        lock = self._locks.get(tg_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[tg_id] = lock
        return lock


class Accounts:
    """Runs blocking client calls with a user's (fresh) credentials, on the Bilibili pool and
    within the user's slots (``BilibiliCalls``)."""

    def __init__(self, storage: Storage, client: BilibiliClient, calls: BilibiliCalls, *,
                 refresh_check_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.storage = storage
        self.client = client
        self.calls = calls
        self.refresh_check_s = refresh_check_s
        self._clock = clock
        self._checked_at: dict[int, float] = {}
        self._locks = UserLocks()

    def forget(self, tg_id: int) -> None:
        """Drop what is held in memory about the user (after login or logout)."""
        self._checked_at.pop(tg_id, None)

    async def sign_out(self, tg_id: int) -> bool | None:
        """Best effort: end the user's web session on Bilibili too (before /logout erases).

        True when Bilibili confirmed it (or the session was already gone), None when there is no
        stored login, False when the credentials are unreadable or Bilibili failed or was too
        slow. Never raises for those, so the local erase always goes on."""
        async with self._locks.get(tg_id):  # not in the middle of a cookie refresh
            try:
                creds = await asyncio.to_thread(self.storage.load_credentials, tg_id)
            except CredentialsUnreadable:
                logger.warning("user %s: stored credentials unreadable; Bilibili sign-out "
                               "skipped", tg_id)
                return False
            if creds is None:
                return None
            try:
                # bounded: a slow Bilibili must not hold up the local erase and its reply
                await asyncio.wait_for(self.calls.run(self.client.logout, creds, tg_id=tg_id),
                                       SIGN_OUT_WAIT_S)
            except BilibiliError as exc:
                logger.warning("user %s: Bilibili sign-out failed (%s); erasing locally anyway",
                               tg_id, exc)
                return False
            except TimeoutError:
                logger.warning("user %s: Bilibili sign-out took over %s s; erasing locally "
                               "anyway", tg_id, SIGN_OUT_WAIT_S)
                return False
        logger.info("user %s: Bilibili web session signed out", tg_id)
        return True

    async def stored(self, tg_id: int) -> Credentials | None:
        """The user's stored credentials, or None. Unreadable ones (another key, corrupt) count
        as an expired login: deleted, digests paused, logged once."""
        try:
            return await asyncio.to_thread(self.storage.load_credentials, tg_id)
        except CredentialsUnreadable:
            logger.warning("user %s: stored credentials unreadable; treated as an expired login",
                           tg_id)
            await self.expire(tg_id)
            return None

    async def _load(self, tg_id: int) -> Credentials | None:
        """Like ``stored``, but LoginExpired when the credentials were unreadable."""
        try:
            return await asyncio.to_thread(self.storage.load_credentials, tg_id)
        except CredentialsUnreadable:
            await self.stored(tg_id)
            raise LoginExpired() from None

    async def credentials(self, tg_id: int) -> Credentials:
        """The user's credentials, refreshed when due; LoginRequired/LoginExpired otherwise."""
        creds = await self._load(tg_id)
        if creds is None:
            raise LoginRequired()
        last = self._checked_at.get(tg_id)
        if last is not None and self._clock() - last < self.refresh_check_s:
            return creds
        async with self._locks.get(tg_id):
            creds = await self._load(tg_id)
            if creds is None:
                raise LoginRequired()
            try:
                due = await self.calls.run(self.client.refresh_due, creds, tg_id=tg_id)
            except NotLoggedIn:
                return await self._refresh_or_expire(tg_id, creds)
            except (RiskControl, BilibiliUnavailable) as exc:
                logger.warning("cookie check for user %s skipped: %s", tg_id, exc)
                return creds
            self._checked_at[tg_id] = self._clock()
            if due:
                return await self._refresh(tg_id, creds)
            return creds

    async def call(self, tg_id: int, fn: Callable[[Credentials], T]) -> T:
        """fn(credentials) in a thread; on -101 one refresh and one retry, then LoginExpired."""
        creds = await self.credentials(tg_id)
        try:
            return await self.calls.run(fn, creds, tg_id=tg_id)
        except NotLoggedIn:
            logger.info("user %s: Bilibili says not logged in; trying a cookie refresh", tg_id)
        async with self._locks.get(tg_id):
            current = await self._load(tg_id)
            if current is None:
                raise LoginExpired()
            if current.cookies.get("SESSDATA") != creds.cookies.get("SESSDATA"):
                creds = current  # another request refreshed meanwhile
            else:
                creds = await self._refresh_or_expire(tg_id, current)
        try:
            return await self.calls.run(fn, creds, tg_id=tg_id)
        except NotLoggedIn:
            await self.expire(tg_id)
            raise LoginExpired() from None

    async def _refresh(self, tg_id: int, creds: Credentials) -> Credentials:
        fresh = await self.calls.run(self.client.refresh_cookies, creds, tg_id=tg_id)
        await asyncio.to_thread(self.storage.save_credentials, tg_id, fresh)
        self._checked_at[tg_id] = self._clock()
        logger.info("user %s: cookies refreshed", tg_id)
        return fresh

    async def _refresh_or_expire(self, tg_id: int, creds: Credentials) -> Credentials:
        try:
            return await self._refresh(tg_id, creds)
        except (RiskControl, BilibiliUnavailable):
            raise  # a passing fault: the login may still be good
        except BilibiliError as exc:
            logger.info("user %s: cookie refresh impossible (%s)", tg_id, exc)
        await self.expire(tg_id)
        raise LoginExpired()

    async def expire(self, tg_id: int) -> None:
        """The login is gone: delete the credentials and pause the user's digests."""
        logger.info("user %s: Bilibili login expired; credentials deleted, digests paused", tg_id)
        await asyncio.to_thread(self.storage.delete_credentials, tg_id)
        if await asyncio.to_thread(self.storage.get_digest, tg_id) is not None:
            await asyncio.to_thread(self.storage.set_digest_paused, tg_id, True)
        self.forget(tg_id)
