"""Daily digests on python-telegram-bot's JobQueue: scheduling, rebuilding at start, sending.

Each user with a digest time has one daily job named ``digest:<tg_id>`` in their own time zone.
At start-up the jobs are rebuilt from storage, and a digest missed today (bot down at the time)
is sent once, spread over a few seconds. Sending re-reads the setting, so a stale job of a user
who logged out or turned the digest off does nothing; a digest is sent at most once a day.
Many digests due at once go through a semaphore and a short pause each, and AIORateLimiter.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from telegram import Bot
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, JobQueue

from bilibili.errors import BilibiliError
from bot.context import BotContext, services_of
from bot.faults import fault_text
from bot.render import RenderedMessage, parse_feedback_data
from bot.sending import list_messages, send_rendered
from bot.services.accounts import LoginExpired
from bot.services.container import BotServices
from bot.services.digest import (DigestContent, DigestPlan, local_now, missed_today,
                                 parse_hhmm)
from bot.texts import text
from storage import DigestSetting

logger = logging.getLogger(__name__)
# a busy loop must delay a digest, never drop it (APScheduler's default grace is 1 s)
JOB_KWARGS = {"misfire_grace_time": 3600, "coalesce": True}


def job_name(tg_id: int) -> str:
    return f"digest:{tg_id}"


def unschedule_digest(job_queue: JobQueue, tg_id: int) -> None:
    """Remove the user's daily job (and a pending missed-digest job)."""
    for name in (job_name(tg_id), f"digest-missed:{tg_id}"):
        for job in job_queue.get_jobs_by_name(name):
            job.schedule_removal()


def schedule_digest(job_queue: JobQueue, tg_id: int, setting: DigestSetting) -> None:
    """(Re)schedule the user's daily job at their time in their zone (none when off)."""
    unschedule_digest(job_queue, tg_id)
    if setting.time_hhmm is None:
        return
    at = parse_hhmm(setting.time_hhmm).replace(tzinfo=ZoneInfo(setting.timezone))
    job_queue.run_daily(digest_job, time=at, name=job_name(tg_id), chat_id=tg_id,
                        user_id=tg_id, data=tg_id, job_kwargs=JOB_KWARGS)


def rebuild_digests(application: Application, now_utc: datetime | None = None) -> int:
    """Schedule every stored digest; queue today's missed ones once. Returns the count."""
    svc = services_of(application)
    now_utc = now_utc or datetime.now(timezone.utc)
    missed = 0
    users = svc.storage.digest_users()
    for tg_id, setting in users:
        schedule_digest(application.job_queue, tg_id, setting)
        if missed_today(setting, now_utc):
            application.job_queue.run_once(
                digest_job, when=1.0 + missed * svc.settings.digest_spread_s,
                name=f"digest-missed:{tg_id}", chat_id=tg_id, user_id=tg_id, data=tg_id,
                job_kwargs=JOB_KWARGS)
            missed += 1
    logger.info("digests scheduled for %d users, %d missed today queued", len(users), missed)
    return len(users)


async def digest_job(context: BotContext) -> None:
    """Job callback: send the user's digest (data = tg_id)."""
    svc = context.services
    setting = await asyncio.to_thread(svc.storage.get_digest, context.job.data)
    if setting is None or setting.time_hhmm is None:  # logged out or turned off meanwhile
        context.job.schedule_removal()
        return
    await send_digest(svc, context.bot, context.job.data)


async def send_digest(svc: BotServices, bot: Bot, tg_id: int) -> bool:
    """Send today's digest unless off, paused or already sent today; True when sent.

    The parts are planned (rendered and persisted) once, and each is recorded right after it
    is sent, so after a crash only the unsent parts go out (see ``bot.services.digest``). A
    user who blocked the bot (403) gets their digest paused until they write again."""
    setting = await asyncio.to_thread(svc.storage.get_digest, tg_id)
    if setting is None or setting.time_hhmm is None or setting.paused:
        return False
    today = local_now(setting.timezone).date().isoformat()
    if setting.last_sent_date == today:
        return False
    plans = svc.digests.plans
    async with svc.digest_slots:
        user = await asyncio.to_thread(svc.storage.get_user, tg_id)
        wanted = await asyncio.to_thread(svc.storage.get_settings, tg_id)
        lang = (wanted.language if wanted.language != "auto"
                else user.language if user and user.language else "zh")
        try:
            plan = await asyncio.to_thread(plans.load, tg_id, today)
            content = None
            if plan is None:
                content = await svc.digests.prepare(tg_id, today)
                if content.hot is None and content.explore is None:
                    # a fault, or only explore asked for (/settings) and no login for it
                    reason = (fault_text(content.faults[0], lang) if content.faults
                              else text(lang, "login_needed_explore"))
                    logger.info("digest of user %s not sent: %s", tg_id,
                                content.faults[0] if content.faults else "explore needs a login")
                    await bot.send_message(tg_id, reason)
                    return False
                plan = DigestPlan(today, plan_parts(content, lang, today))
                async with svc.eraser.locks.get(tg_id):
                    if not await _still_there(svc, tg_id):
                        return False
                    await asyncio.to_thread(plans.save, tg_id, plan)
            elif plan.sent:
                logger.info("digest of user %s resumed at part %d of %d", tg_id, plan.sent + 1,
                            len(plan.parts))
            while plan.sent < len(plan.parts):
                part = plan.parts[plan.sent]
                async with svc.eraser.locks.get(tg_id):   # a /logout waits for this part
                    if not await _still_there(svc, tg_id):
                        return False
                    await send_rendered(bot, tg_id, RenderedMessage(
                        part["text"],
                        tuple(tuple(tuple(button) for button in row) for row in part["buttons"]),
                        photo_url=part.get("photo"), preview_url=part.get("preview")),
                        silent=wanted.silent_digest)
                    await asyncio.to_thread(plans.part_sent, tg_id, plan)
            async with svc.eraser.locks.get(tg_id):
                if not await _still_there(svc, tg_id):
                    return False
                await asyncio.to_thread(plans.finish, tg_id, plan)
            if content is not None:    # a digest resumed after a crash is not logged again
                await svc.digests.log_shown(tg_id, content)
        except LoginExpired as exc:
            await _tell(bot, tg_id, fault_text(exc, lang))
            return False
        except Forbidden:
            await svc.digests.pause_blocked(tg_id)
            return False
        except (BilibiliError, TelegramError) as exc:
            logger.warning("digest of user %s failed: %s", tg_id, exc)
            return False
        finally:
            await asyncio.sleep(svc.settings.digest_spread_s)
    logger.info("digest sent to user %s", tg_id)
    return True


async def _still_there(svc: BotServices, tg_id: int) -> bool:
    """Whether the user is still known (not erased by a /logout meanwhile); call it holding
    ``svc.eraser.locks.get(tg_id)``, so no erase comes between it and the write it guards."""
    if await asyncio.to_thread(svc.storage.get_user, tg_id) is not None:
        return True
    logger.info("digest of user %s stopped: the user was erased meanwhile", tg_id)
    return False


def plan_parts(content: DigestContent, lang: str, today: str) -> list[dict]:
    """The digest's messages: the hot list, then the explore list, each under the title."""
    header = text(lang, "digest_title", date=today)
    parts = []
    for result, title in ((content.hot, "hot_title"), (content.explore, "explore_title")):
        if result is None:
            continue
        for message in list_messages(result, lang, header=f"{header}\n{text(lang, title)}"):
            parts.append({"text": message.text,
                          "buttons": [[list(button) for button in row]
                                      for row in message.buttons],
                          "bvids": bvids_in(message),
                          "photo": message.photo_url, "preview": message.preview_url})
    return parts


def bvids_in(message: RenderedMessage) -> list[str]:
    """The BV ids a rendered list message carries (from its feedback buttons)."""
    found = (parse_feedback_data(data) for row in message.buttons for _, data in row)
    return list(dict.fromkeys(parsed[1] for parsed in found if parsed is not None))


async def _tell(bot: Bot, chat_id: int, message: str) -> None:
    try:
        await bot.send_message(chat_id, message)
    except TelegramError as exc:
        logger.warning("could not message user %s: %s", chat_id, exc)
