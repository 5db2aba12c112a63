"""/digest [HH:MM [Area/City]] | off: show, set or turn off the daily digest."""
from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import ContextTypes

from bot.args import ArgumentError, parse_digest
from bot.handlers.common import escape, lang_of, reply, services
from bot.jobs import schedule_digest, unschedule_digest
from bot.texts import text


async def digest_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc, lang, tg_id = services(context), lang_of(update), update.effective_user.id
    storage = svc.storage
    try:
        request = parse_digest(context.args, svc.settings.timezone)
    except ArgumentError as exc:
        values = {key: escape(value) for key, value in exc.values.items()}
        await reply(update, text(lang, exc.key, **values))
        return
    if request.action == "show":
        setting = await asyncio.to_thread(storage.get_digest, tg_id)
        if setting is None or setting.time_hhmm is None:
            await reply(update, text(lang, "digest_none"))
        else:
            paused = text(lang, "digest_paused") if setting.paused else ""
            await reply(update, text(lang, "digest_show", time=setting.time_hhmm,
                                     zone=escape(setting.timezone), paused=paused).strip())
        return
    if await asyncio.to_thread(storage.get_user, tg_id) is None:
        await asyncio.to_thread(storage.ensure_user, tg_id, lang)
    await asyncio.to_thread(storage.set_language, tg_id, lang)
    if request.action == "off":
        setting = await asyncio.to_thread(storage.get_digest, tg_id)
        zone = setting.timezone if setting else svc.settings.timezone
        await asyncio.to_thread(storage.set_digest, tg_id, None, zone)
        unschedule_digest(context.job_queue, tg_id)
        await reply(update, text(lang, "digest_off"))
        return
    await asyncio.to_thread(storage.set_digest, tg_id, request.time_hhmm, request.timezone)
    setting = await asyncio.to_thread(storage.get_digest, tg_id)
    schedule_digest(context.job_queue, tg_id, setting)
    message = text(lang, "digest_set", time=request.time_hhmm, zone=escape(request.timezone))
    if setting.paused:
        message += "\n" + text(lang, "digest_paused")
    await reply(update, message)
