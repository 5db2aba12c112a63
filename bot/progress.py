"""One status message edited through a long job's stages (the sync + training after /login
and /sync), within Telegram's manners: at most one edit per ``EDIT_INTERVAL_S`` per message,
never an edit with the text the message already shows (Telegram answers 400 "message is not
modified"), and a failed edit is logged and never breaks the job."""
from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Awaitable, Callable

from telegram import Bot
from telegram.error import TelegramError

logger = logging.getLogger(__name__)
EDIT_INTERVAL_S = 1.0


class ProgressMessage:
    """A text message whose text follows ``show``; ``finish`` shows the last text. Without a
    message_id the first text shown is sent as a new message, later ones edit it."""

    def __init__(self, bot: Bot, chat_id: int, message_id: int | None, text: str | None, *,
                 interval: float = EDIT_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.bot, self.chat_id, self.message_id = bot, chat_id, message_id
        self.interval = interval
        self._clock, self._sleep = clock, sleep
        self._shown = text          # what the message shows now
        self._wanted = text         # what it should show
        self._last_edit = -math.inf
        self._task: asyncio.Task | None = None
        self.failed = False         # the last edit was refused (message gone, bot blocked, …)

    def show(self, text: str) -> None:
        """Make the message show text soon (on the event loop; returns at once)."""
        self._wanted = text
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._flush())

    @property
    def sent(self) -> bool:
        """Whether the message exists (was given or sent)."""
        return self.message_id is not None

    async def finish(self, text: str) -> bool:
        """Show text as the last state (after the throttle pause); True when the message
        shows it (False: the caller may send it as a new message)."""
        self._wanted = text
        if self._task is not None and not self._task.done():
            await self._task
        await self._flush()
        return self._shown == text and not self.failed

    def close(self) -> None:
        """Drop an edit still waiting (the job was cancelled, e.g. at shutdown)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def _flush(self) -> None:
        while self._wanted != self._shown:
            wait = self._last_edit + self.interval - self._clock()
            if wait > 0:
                await self._sleep(wait)
            text = self._wanted
            if text == self._shown:
                return
            self._last_edit = self._clock()
            try:
                if self.message_id is None:
                    sent = await self.bot.send_message(self.chat_id, text)
                    self.message_id = sent.message_id
                else:
                    await self.bot.edit_message_text(text, chat_id=self.chat_id,
                                                     message_id=self.message_id)
                self.failed = False
            except TelegramError as exc:
                # "not modified" cannot happen (the text differs); anything else: give this
                # text up, the next one tries again
                logger.info("progress edit of chat %s refused: %s", self.chat_id, exc)
                self.failed = True
            self._shown = text
