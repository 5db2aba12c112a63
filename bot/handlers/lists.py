"""/hot, /explore and the 👍/👎 feedback buttons."""
from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import ContextTypes

from bilibili.errors import BilibiliError
from bot.args import ArgumentError, parse_count
from bot.handlers.common import escape, fault_text, lang_of, reply, send_list, services
from bot.handlers.privacy import private_link
from bot.render import FEEDBACK_PREFIX, parse_feedback_data
from bot.services.accounts import LoginExpired, LoginRequired
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


async def hot_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/hot [n]: the popular list ranked for the user (quality order before login)."""
    n = await _count_or_reply(update, context.args, "hot")
    if n is None:
        return
    svc, lang, tg_id = services(context), lang_of(update), update.effective_user.id
    user = await asyncio.to_thread(svc.storage.get_user, tg_id)
    logged_in = user is not None and (await svc.accounts.stored(tg_id)) is not None
    try:
        result = await svc.lists.hot(tg_id if user else None, n)
    except BilibiliError as exc:
        logger.info("/hot for user %s failed: %s", tg_id, exc)
        await reply(update, fault_text(exc, lang))
        return
    if user is None:  # the list's 👍/👎 buttons record for this user (until /logout erases)
        await asyncio.to_thread(svc.storage.ensure_user, tg_id, lang)
    hint = () if logged_in else (text(lang, "login_hint"),)
    await send_list(context.bot, update.effective_chat.id, result, lang,
                    header=text(lang, "hot_title"), extra_notes=hint)
    if user is not None:
        await svc.lists.log_shown(tg_id, "hot", result)


async def group_hot(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/hot [n] in a group: the non-personal quality order, no feedback buttons, and a link to
    the personal ranking in the private chat."""
    n = await _count_or_reply(update, context.args, "hot")
    if n is None:
        return
    svc, lang = services(context), lang_of(update)
    try:
        result = await svc.lists.hot(None, n)
    except BilibiliError as exc:
        logger.info("/hot in chat %s failed: %s", update.effective_chat.id, exc)
        await reply(update, fault_text(exc, lang))
        return
    link = escape(private_link(context, "hot"))
    await send_list(context.bot, update.effective_chat.id, result, lang,
                    header=text(lang, "hot_title_group"),
                    extra_notes=(text(lang, "group_hot_note", link=link),), buttons=False)


async def explore_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/explore [n]: the user's own feed ranked for them; needs a login."""
    n = await _count_or_reply(update, context.args, "explore")
    if n is None:
        return
    svc, lang, tg_id = services(context), lang_of(update), update.effective_user.id
    try:
        result = await svc.lists.explore(tg_id, n)
    except LoginRequired:
        await reply(update, text(lang, "login_needed_explore"))
        return
    except LoginExpired:
        await reply(update, text(lang, "login_expired"))
        return
    except BilibiliError as exc:
        logger.info("/explore for user %s failed: %s", tg_id, exc)
        await reply(update, fault_text(exc, lang))
        return
    await send_list(context.bot, update.effective_chat.id, result, lang,
                    header=text(lang, "explore_title"))
    await svc.lists.log_shown(tg_id, "explore", result)


async def feedback_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A 👍/👎 tap: store the feedback (latest wins) and acknowledge it; after /logout (no
    user row) say so and write nothing."""
    query = update.callback_query
    lang, tg_id = lang_of(update), update.effective_user.id
    parsed = parse_feedback_data(query.data)
    if parsed is None:
        await query.answer(text(lang, "fb_bad"))
        return
    value, bvid = parsed
    svc = services(context)
    if await asyncio.to_thread(svc.storage.get_user, tg_id) is None:  # erased by /logout
        await query.answer(text(lang, "fb_logged_out"))
        return
    video = await svc.lists.find_video(tg_id, bvid)
    await asyncio.to_thread(svc.storage.add_feedback, tg_id, bvid, value, video)
    logger.info("user %s gave %+d to %s", tg_id, value, bvid)
    await query.answer(text(lang, "fb_saved_up" if value > 0 else "fb_saved_down"))
