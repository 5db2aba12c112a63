"""The one owner of forgetting a user.

``UserEraser.erase_user`` is the only way a user's memory is erased: /logout, a login with
another Bilibili account, and a sync that finds its user logged out all call it. Storage (every
table and file of the user, ``Storage.erase_user``) is erased first; then every in-memory
per-user store registered with ``register`` (serving cache, cookie-check times, last good lists,
…) drops the user. A new per-user store registers here once and every path forgets it.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Callable

from bot.services.accounts import UserLocks
from storage import Storage

logger = logging.getLogger(__name__)


class UserEraser:
    """Erases a user from storage and from every registered in-memory store."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._stores: list[Callable[[int], None]] = []
        # held by the erase and by every digest write (bot.jobs.send_digest): a digest running
        # during a /logout stops at the erase and writes nothing of the user back
        self.locks = UserLocks()

    def register(self, forget: Callable[[int], None]) -> None:
        """Add an in-memory store: forget(tg_id) drops what it holds about the user (called on
        the event loop, must not block)."""
        self._stores.append(forget)

    async def erase_user(self, tg_id: int) -> None:
        """Every row and file of the user, then every registered store's memory of them."""
        async with self.locks.get(tg_id):
            await asyncio.to_thread(self.storage.erase_user, tg_id)
        for forget in self._stores:
            forget(tg_id)
        logger.info("user %s erased", tg_id)
