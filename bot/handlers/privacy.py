"""Account commands work only in a private chat.

In a group or channel the bot answers an account command with a short note and a deep-link
button (``t.me/<bot>?start=<command>``) and nothing else: never a QR code, a Bilibili name or a
list ranked from someone's data. The deep link opens the private chat, where Telegram sends
``/start <command>`` and that command runs. /hot in a group shows the non-personal quality order
without feedback buttons (see ``lists.group_hot``).
"""
from __future__ import annotations

import functools
from typing import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.helpers import create_deep_linked_url

from bot.context import BotContext
from bot.handlers.common import lang_of, reply
from bot.texts import text

# the commands that touch an account; each is also a deep-link start parameter
ACCOUNT_COMMANDS = ("login", "status", "sync", "logout", "digest", "explore", "hot",
                    "settings", "taste")
Handler = Callable[[Update, BotContext], Awaitable[None]]


def is_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


def private_link(context: BotContext, command: str) -> str:
    """The deep link that opens the private chat and runs command there."""
    return create_deep_linked_url(context.bot.username, command)


async def point_to_private(update: Update, context: BotContext,
                           command: str) -> None:
    """The group/channel answer: a note and a button to the private chat (a button press gets
    the note as its answer, opening the link)."""
    lang = lang_of(update, context)
    link = private_link(context, command)
    if update.callback_query is not None:
        await update.callback_query.answer(text(lang, "private_only_button"), url=link)
        return
    button = InlineKeyboardButton(text(lang, "private_button"), url=link)
    await reply(update, text(lang, "private_only"),
                reply_markup=InlineKeyboardMarkup([[button]]))


def private_only(command: str, handler: Handler, *, elsewhere: Handler | None = None) -> Handler:
    """handler in private chats; elsewhere (default: the note with the deep link) otherwise."""
    @functools.wraps(handler)
    async def guarded(update: Update, context: BotContext) -> None:
        if is_private(update):
            await handler(update, context)
        elif elsewhere is not None:
            await elsewhere(update, context)
        else:
            await point_to_private(update, context, command)
    return guarded


def deep_linked(handler: Handler) -> Handler:
    """handler run for ``/start <command>`` (its start parameter is not an argument)."""
    @functools.wraps(handler)
    async def started(update: Update, context: BotContext) -> None:
        context.args = []
        await handler(update, context)
    return started


async def channel_post(update: Update, context: BotContext) -> None:
    """A command posted in a channel: the note and a link to the private chat."""
    command = (update.effective_message.text or "/").split()[0][1:].split("@")[0].lower()
    await point_to_private(update, context, command if command in ACCOUNT_COMMANDS else "start")
