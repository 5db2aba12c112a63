"""/status, /sync and /logout."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.common import escape, lang_of, reply, services
from bot.handlers.login import sync_and_report
from bot.jobs import unschedule_digest
from bot.texts import text

logger = logging.getLogger(__name__)


def format_trained_at(value: object, zone: str) -> str:
    """A model's trained-at (Unix seconds, datetime or ISO text) as "YYYY-MM-DD HH:MM"."""
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, ZoneInfo(zone))
    elif isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return escape(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(ZoneInfo(zone))
        return value.strftime("%Y-%m-%d %H:%M")
    return escape(value)


def format_metrics(metrics: dict) -> str:
    """AUC first, then any other numeric held-out metric."""
    auc = metrics.get("auc")
    head = f"{auc:.3f}" if isinstance(auc, (int, float)) else "—"
    extra = [f"{escape(name)} {value:.3f}" for name, value in sorted(metrics.items())
             if name != "auc" and isinstance(value, float)]
    return head + (f" ({', '.join(extra)})" if extra else "")


async def status_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Login state, Bilibili name, records, model and digest."""
    svc, lang, tg_id = services(context), lang_of(update), update.effective_user.id
    storage = svc.storage
    user = await asyncio.to_thread(storage.get_user, tg_id)
    creds = await svc.accounts.stored(tg_id) if user else None
    if creds is not None:
        login = text(lang, "status_logged_in", name=escape(user.uname or user.mid))
    elif user is not None and user.mid:
        login = text(lang, "status_expired")
    else:
        login = text(lang, "status_logged_out")
    records = await asyncio.to_thread(storage.count_behaviour, tg_id) if user else 0
    model_record = await asyncio.to_thread(storage.latest_model, tg_id) if user else None
    digest = await asyncio.to_thread(storage.get_digest, tg_id) if user else None
    zone = digest.timezone if digest else svc.settings.timezone
    if model_record is None:
        model = text(lang, "status_no_model")
    else:
        model = text(lang, "status_model",
                     trained_at=format_trained_at(model_record.trained_at, zone),
                     auc=format_metrics(dict(model_record.metrics)))
    if digest is None or digest.time_hhmm is None:
        digest_text = text(lang, "status_digest_off")
    else:
        digest_text = text(lang, "status_digest_on", time=digest.time_hhmm,
                           zone=escape(digest.timezone))
        if digest.paused:
            digest_text += " — " + text(lang, "digest_paused")
    await reply(update, text(lang, "status", login=login, records=records, model=model,
                             digest=digest_text))


async def sync_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Re-sync and retrain now (in the background)."""
    svc, lang, tg_id = services(context), lang_of(update), update.effective_user.id
    if await svc.accounts.stored(tg_id) is None:
        await reply(update, text(lang, "login_needed_sync"))
        return
    running_s = svc.sync.claim(tg_id)
    if running_s is not None:
        await reply(update, text(lang, "sync_busy", seconds=int(running_s)))
        return
    svc.background.spawn(sync_and_report(svc, context.bot, tg_id, update.effective_chat.id, lang),
                         name=f"sync:{tg_id}")
    await reply(update, text(lang, "sync_started"))


async def logout_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Sign the Bilibili web session out (best effort), then erase everything of the user:
    credentials, behaviour, feedback, models, schedule."""
    svc, lang, tg_id = services(context), lang_of(update), update.effective_user.id
    svc.logins.cancel(tg_id)
    svc.sync.cancel(tg_id)
    unschedule_digest(context.job_queue, tg_id)
    signed_out = await svc.accounts.sign_out(tg_id)
    await asyncio.to_thread(svc.storage.erase_user, tg_id)
    svc.recommender.forget(tg_id)
    svc.accounts.forget(tg_id)
    svc.lists.forget(tg_id)
    logger.info("user %s logged out; all their data erased", tg_id)
    message = text(lang, "logout_done")
    if signed_out is not None:
        message += "\n" + text(lang, "logout_bilibili_done" if signed_out
                                else "logout_bilibili_kept")
    await reply(update, message)
