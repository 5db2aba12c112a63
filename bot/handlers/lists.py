"""/hot and /explore (their buttons: bot.handlers.buttons and bot.handlers.more)."""
from __future__ import annotations

import logging
from typing import Awaitable, Callable

from telegram import Update

from bot.args import DEFAULT_COUNT, ArgumentError, parse_count
from bot.context import BotContext
from bot.faults import SERVICE_ERRORS, fault_text
from bot.handlers.common import escape, lang_of, reply
from bot.handlers.privacy import private_link
from bot.sending import send_list, show_typing
from bot.services.lists import ListResult
from bot.texts import text

logger = logging.getLogger(__name__)


async def _list_or_reply(update: Update, context: BotContext, command: str,
                         make: Callable[[int | None], Awaitable[ListResult]], *,
                         login_needed: str = "login_needed_sync") -> ListResult | None:
    """Parse the command's [n] (None when absent: the user's list size) and make the list;
    None after telling the user what was wrong (a bad count, or a failed service call in
    ``fault_text``'s words)."""
    lang = lang_of(update, context)
    try:
        n = parse_count(context.args, default=None)
    except ArgumentError as exc:
        values = {key: escape(value) for key, value in exc.values.items()}
        await reply(update, text(lang, exc.key, command=command, **values))
        return None
    await show_typing(context.bot, update.effective_chat.id)
    try:
        return await make(n)
    except SERVICE_ERRORS as exc:
        logger.info("/%s in chat %s failed: %s %s", command, update.effective_chat.id,
                    type(exc).__name__, exc)
        await reply(update, fault_text(exc, lang, login_needed=login_needed))
        return None


async def hot_command(update: Update, context: BotContext) -> None:
    """/hot [n]: the popular list ranked for the user (quality order before login)."""
    svc, lang, tg_id = context.services, lang_of(update, context), update.effective_user.id
    result = await _list_or_reply(update, context, "hot",
                                  lambda n: svc.lists.hot_for_user(tg_id, n, lang))
    if result is None:
        return
    hint = () if result.logged_in else (text(lang, "login_hint"),)
    await send_list(context.bot, update.effective_chat.id, result, lang,
                    header=text(lang, "hot_title"), extra_notes=hint)
    await svc.lists.log_shown(tg_id, "hot", result)


async def group_hot(update: Update, context: BotContext) -> None:
    """/hot [n] in a group: the non-personal quality order, no feedback buttons, and a link to
    the personal ranking in the private chat."""
    lang = lang_of(update, context)
    result = await _list_or_reply(update, context, "hot",
                                  lambda n: context.services.lists.hot(None, n or DEFAULT_COUNT))
    if result is None:
        return
    link = escape(private_link(context, "hot"))
    await send_list(context.bot, update.effective_chat.id, result, lang,
                    header=text(lang, "hot_title_group"),
                    extra_notes=(text(lang, "group_hot_note", link=link),), buttons=False)


async def explore_command(update: Update, context: BotContext) -> None:
    """/explore [n]: the user's own feed ranked for them; needs a login."""
    svc, lang, tg_id = context.services, lang_of(update, context), update.effective_user.id
    result = await _list_or_reply(update, context, "explore",
                                  lambda n: svc.lists.explore(tg_id, n),
                                  login_needed="login_needed_explore")
    if result is None:
        return
    await send_list(context.bot, update.effective_chat.id, result, lang,
                    header=text(lang, "explore_title"))
    await svc.lists.log_shown(tg_id, "explore", result)

