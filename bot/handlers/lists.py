"""/hot, /explore and the 👍/👎 feedback buttons."""
from __future__ import annotations

import logging

from telegram import Update

from bot.args import ArgumentError, parse_count
from bot.context import BotContext
from bot.faults import SERVICE_ERRORS, fault_text
from bot.handlers.common import escape, lang_of, reply
from bot.handlers.privacy import private_link
from bot.render import FEEDBACK_PREFIX, parse_feedback_data
from bot.sending import send_list
from bot.texts import text

logger = logging.getLogger(__name__)
FEEDBACK_PATTERN = rf"^{FEEDBACK_PREFIX}:"


async def _count_or_reply(update: Update, args: list[str], command: str) -> int | None:
    try:
        return parse_count(args)
    except ArgumentError as exc:
        values = {key: escape(value) for key, value in exc.values.items()}
        await reply(update, text(lang_of(update), exc.key, command=command, **values))
        return None


async def hot_command(update: Update, context: BotContext) -> None:
    """/hot [n]: the popular list ranked for the user (quality order before login)."""
    n = await _count_or_reply(update, context.args, "hot")
    if n is None:
        return
    svc, lang, tg_id = context.services, lang_of(update), update.effective_user.id
    try:
        result = await svc.lists.hot_for_user(tg_id, n, lang)
    except SERVICE_ERRORS as exc:
        logger.info("/hot for user %s failed: %s", tg_id, exc)
        await reply(update, fault_text(exc, lang))
        return
    hint = () if result.logged_in else (text(lang, "login_hint"),)
    await send_list(context.bot, update.effective_chat.id, result, lang,
                    header=text(lang, "hot_title"), extra_notes=hint)
    await svc.lists.log_shown(tg_id, "hot", result)


async def group_hot(update: Update, context: BotContext) -> None:
    """/hot [n] in a group: the non-personal quality order, no feedback buttons, and a link to
    the personal ranking in the private chat."""
    n = await _count_or_reply(update, context.args, "hot")
    if n is None:
        return
    lang = lang_of(update)
    try:
        result = await context.services.lists.hot(None, n)
    except SERVICE_ERRORS as exc:
        logger.info("/hot in chat %s failed: %s", update.effective_chat.id, exc)
        await reply(update, fault_text(exc, lang))
        return
    link = escape(private_link(context, "hot"))
    await send_list(context.bot, update.effective_chat.id, result, lang,
                    header=text(lang, "hot_title_group"),
                    extra_notes=(text(lang, "group_hot_note", link=link),), buttons=False)


async def explore_command(update: Update, context: BotContext) -> None:
    """/explore [n]: the user's own feed ranked for them; needs a login."""
    n = await _count_or_reply(update, context.args, "explore")
    if n is None:
        return
    svc, lang, tg_id = context.services, lang_of(update), update.effective_user.id
    try:
        result = await svc.lists.explore(tg_id, n)
    except SERVICE_ERRORS as exc:
        logger.info("/explore for user %s failed: %s %s", tg_id, type(exc).__name__, exc)
        await reply(update, fault_text(exc, lang, login_needed="login_needed_explore"))
        return
    await send_list(context.bot, update.effective_chat.id, result, lang,
                    header=text(lang, "explore_title"))
    await svc.lists.log_shown(tg_id, "explore", result)


async def feedback_button(update: Update, context: BotContext) -> None:
    """A 👍/👎 tap: store the feedback (latest wins) and acknowledge it; after /logout (no
    user row) say so and write nothing."""
    query = update.callback_query
    lang, tg_id = lang_of(update), update.effective_user.id
    parsed = parse_feedback_data(query.data)
    if parsed is None:
        await query.answer(text(lang, "fb_bad"))
        return
    value, bvid = parsed
    if not await context.services.lists.record_feedback(tg_id, bvid, value):
        await query.answer(text(lang, "fb_logged_out"))
        return
    await query.answer(text(lang, "fb_saved_up" if value > 0 else "fb_saved_down"))
