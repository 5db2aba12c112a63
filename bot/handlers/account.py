"""/status, /sync and /logout."""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.common import escape, lang_of, reply, services
from bot.handlers.login import sync_and_report
from bot.jobs import unschedule_digest
from bot.render import render_serving
from bot.texts import text

logger = logging.getLogger(__name__)
HIT_RATE_DAYS = 7


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


def recent_hits(storage, tg_id: int, now: float) -> tuple[int, int]:
    """(hits, distinct videos shown) over the last HIT_RATE_DAYS days."""
    from recommender.impressions import hit_rate, judge  # loads numpy/jieba via the package

    since = now - HIT_RATE_DAYS * 86400
    impressions = storage.load_impressions(tg_id, since=since)
    if not impressions:
        return 0, 0
    outcomes = judge(impressions, storage.load_behaviour(tg_id), storage.feedback_videos(tg_id),
                     now=now)
    rate = hit_rate(outcomes, since=since)
    return rate.hits, rate.shown


async def status_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Login state, Bilibili name, records, model, digest and the last week's hit rate."""
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
    summary = (await asyncio.to_thread(svc.recommender.serving_summary, tg_id) if user
               else {"served": "content", "served_reason": "pending"})
    digest = await asyncio.to_thread(storage.get_digest, tg_id) if user else None
    zone = digest.timezone if digest else svc.settings.timezone
    trained_at = format_trained_at(model_record.trained_at, zone) if model_record else None
    model = render_serving(summary, lang, trained_at)
    if digest is None or digest.time_hhmm is None:
        digest_text = text(lang, "status_digest_off")
    else:
        digest_text = text(lang, "status_digest_on", time=digest.time_hhmm,
                           zone=escape(digest.timezone))
        if digest.paused:
            digest_text += " — " + text(lang, "digest_paused")
    message = text(lang, "status", login=login, records=records, model=model,
                   digest=digest_text)
    hits, shown = (await asyncio.to_thread(recent_hits, storage, tg_id, time.time())
                   if user else (0, 0))
    if shown:
        message += "\n" + text(lang, "status_hits", hits=hits, shown=shown,
                                percent=round(100 * hits / shown))
    if svc.recommender.training_delayed:
        message += "\n" + text(lang, "status_training_delayed")
    await reply(update, message)


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
