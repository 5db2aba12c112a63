"""A sync + training in the background, reported to the user when it ends (/login, /sync)."""
from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import Forbidden

from bot.faults import SERVICE_ERRORS, fault_text
from bot.render import render_not_updated, render_serving
from bot.services.container import BotServices
from bot.services.sync import SyncAborted
from bot.texts import text

logger = logging.getLogger(__name__)


async def sync_and_report(svc: BotServices, bot: Bot, tg_id: int, chat_id: int, lang: str) -> None:
    """Sync + train, then tell the user how it went. A user who blocked the bot meanwhile
    (403) gets their digest paused."""
    try:
        message = await _sync_outcome(svc, tg_id, lang)
        if message is not None:
            await bot.send_message(chat_id, message)
    except Forbidden:
        await svc.digests.pause_blocked(tg_id)


async def _sync_outcome(svc: BotServices, tg_id: int, lang: str) -> str | None:
    """The message that reports a sync (None after a /logout meanwhile)."""
    try:
        result = await svc.sync.sync_and_train(tg_id)
    except SyncAborted:
        return None
    except SERVICE_ERRORS as exc:
        logger.info("sync of user %s failed: %s %s", tg_id, type(exc).__name__, exc)
        # a login gone during the sync is an expired one to the user
        return fault_text(exc, lang, login_needed="login_expired")
    if result.accepted:
        return text(lang, "model_ready", records=result.n_records,
                    serving=render_serving(result.metrics, lang))
    logger.info("model of user %s not updated: %s", tg_id, result.message)
    return text(lang, "model_not_ready", records=result.n_records,
                reason=render_not_updated(result.metrics, lang))
