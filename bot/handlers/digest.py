"""/digest [HH:MM [Area/City]] | off: show, set or turn off the daily digest."""
from __future__ import annotations

from telegram import Update

from bot.args import ArgumentError, parse_digest
from bot.context import BotContext
from bot.handlers.common import escape, lang_of, reply
from bot.jobs import schedule_digest, unschedule_digest
from bot.texts import text


async def digest_command(update: Update, context: BotContext) -> None:
    """Show the digest setting, set a daily time (and zone), or turn it off."""
    svc, lang, tg_id = context.services, lang_of(update, context), update.effective_user.id
    try:
        request = parse_digest(context.args, svc.settings.timezone)
    except ArgumentError as exc:
        values = {key: escape(value) for key, value in exc.values.items()}
        await reply(update, text(lang, exc.key, **values))
        return
    if request.action == "show":
        setting = await svc.digests.show(tg_id)
        if setting is None or setting.time_hhmm is None:
            await reply(update, text(lang, "digest_none"))
        else:
            paused = text(lang, "digest_paused") if setting.paused else ""
            await reply(update, text(lang, "digest_show", time=setting.time_hhmm,
                                     zone=escape(setting.timezone), paused=paused).strip())
        return
    if request.action == "off":
        await svc.digests.off(tg_id, lang)
        unschedule_digest(context.job_queue, tg_id)
        await reply(update, text(lang, "digest_off"))
        return
    setting = await svc.digests.set(tg_id, lang, request.time_hhmm, request.timezone)
    schedule_digest(context.job_queue, tg_id, setting)
    message = text(lang, "digest_set", time=request.time_hhmm, zone=escape(request.timezone))
    if setting.paused:
        message += "\n" + text(lang, "digest_paused")
    await reply(update, message)
