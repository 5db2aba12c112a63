"""/status and /sync."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import escape, lang_of, reply
from bot.render import render_mutes, render_serving, render_stage, render_taste
from bot.services.users import LOGGED_IN, LOGIN_EXPIRED, StatusReport
from bot.sync_report import sync_and_report
from bot.texts import text


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


def render_status(report: StatusReport, lang: str, default_zone: str) -> str:
    """The /status message of a report."""
    if report.login == LOGGED_IN:
        login = text(lang, "status_logged_in", name=escape(report.name))
    elif report.login == LOGIN_EXPIRED:
        login = text(lang, "status_expired")
    else:
        login = text(lang, "status_logged_out")
    digest = report.digest
    zone = digest.timezone if digest else default_zone
    trained_at = (format_trained_at(report.trained_at, zone) if report.trained_at is not None
                  else None)
    model = render_serving(report.serving, lang, trained_at)
    if digest is None or digest.time_hhmm is None:
        digest_text = text(lang, "status_digest_off")
    else:
        digest_text = text(lang, "status_digest_on", time=digest.time_hhmm,
                           zone=escape(digest.timezone))
        if digest.paused:
            digest_text += " — " + text(lang, "digest_paused")
    message = text(lang, "status", login=login, records=report.records, model=model,
                   digest=digest_text)
    if report.shown:
        message += "\n" + text(lang, "status_hits", hits=report.hits, shown=report.shown,
                                percent=round(100 * report.hits / report.shown))
    if report.training_delayed:
        message += "\n" + text(lang, "status_training_delayed")
    if report.running is not None:
        message += "\n" + text(lang, "status_running", stage=render_stage(report.running, lang))
    if report.taste is not None:  # the ranker serving is named in the Ranking line above
        message += "\n\n" + render_taste(report.taste, lang)
    return message


async def status_command(update: Update, context: BotContext) -> None:
    """Login state, Bilibili name, records, model, digest and the last week's hit rate; then
    the mutes, if any, with a button each to bring one back."""
    svc = context.services
    report = await svc.users.status(update.effective_user.id)
    lang = lang_of(update, context)
    await reply(update, render_status(report, lang, svc.settings.timezone))
    if report.mutes:  # what the user left out of their lists, with "bring back" buttons
        mutes = render_mutes(report.mutes, lang)
        await reply(update, mutes.text, reply_markup=mutes.reply_markup())


async def sync_command(update: Update, context: BotContext) -> None:
    """Re-sync and retrain now (in the background)."""
    svc, lang, tg_id = context.services, lang_of(update, context), update.effective_user.id
    if await svc.accounts.stored(tg_id) is None:
        await reply(update, text(lang, "login_needed_sync"))
        return
    running_s = svc.sync.claim(tg_id)
    if running_s is not None:
        await reply(update, text(lang, "sync_busy", seconds=int(running_s)))
        return
    # the status message (header, then each stage, then the outcome) is sent by the task
    svc.background.spawn(sync_and_report(svc, context.bot, tg_id, update.effective_chat.id, lang,
                                         header=text(lang, "sync_started")),
                         name=f"sync:{tg_id}")
