"""A sync + training in the background, its progress shown in one status message that ends
with the outcome (/login, /sync)."""
from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import Forbidden

from bot.faults import SERVICE_ERRORS, fault_text
from bot.progress import ProgressMessage
from bot.render import render_not_updated, render_serving, render_stage, render_taste
from bot.services.container import BotServices
from bot.services.sync import Observer, Stage, SyncAborted
from bot.texts import text

logger = logging.getLogger(__name__)


async def sync_and_report(svc: BotServices, bot: Bot, tg_id: int, chat_id: int, lang: str, *,
                          header: str, message_id: int | None = None) -> None:
    """Sync + train; the status message (message_id, or a new one) shows header and the
    current stage, throttled (``bot.progress``), and ends with how it went (sent anew when
    it cannot be edited). A user who blocked the bot meanwhile (403) gets their digest
    paused; after a /logout meanwhile the message only says the sync stopped."""
    progress = ProgressMessage(bot, chat_id, message_id, header if message_id else None)
    progress.show(header)

    def observer(stage: Stage) -> None:
        progress.show(f"{header}\n{render_stage(stage, lang)}")
    try:
        outcome = await _sync_outcome(svc, tg_id, lang, observer)
        if outcome is None:
            if progress.sent:
                await progress.finish(f"{header}\n{text(lang, 'progress_stopped')}")
            return
        final = f"{header}\n{outcome}"
        if not await progress.finish(final):
            await bot.send_message(chat_id, final)
    except Forbidden:
        await svc.digests.pause_blocked(tg_id)
    finally:
        progress.close()


async def _sync_outcome(svc: BotServices, tg_id: int, lang: str,
                        observer: Observer) -> str | None:
    """The message that reports a sync (None after a /logout meanwhile)."""
    try:
        result = await svc.sync.sync_and_train(tg_id, observer)
    except SyncAborted:
        return None
    except SERVICE_ERRORS as exc:
        logger.info("sync of user %s failed: %s %s", tg_id, type(exc).__name__, exc)
        # a login gone during the sync is an expired one to the user
        return fault_text(exc, lang, login_needed="login_expired")
    if result.accepted:
        outcome = text(lang, "model_ready", records=result.n_records,
                       serving=render_serving(result.metrics, lang))
    else:
        logger.info("model of user %s not updated: %s", tg_id, result.message)
        outcome = text(lang, "model_not_ready", records=result.n_records,
                       reason=render_not_updated(result.metrics, lang))
    try:
        taste = await svc.tastes.taste(tg_id)
    except Exception:  # the card is a nicety: the outcome is told without it
        logger.exception("taste card of user %s failed", tg_id)
        return outcome
    if taste.records:  # the taste card; the ranker serving is named just above
        outcome += "\n\n" + render_taste(taste, lang)
    return outcome
