"""/start, /help, unknown commands, buttons nobody handles, and noticing a user is back."""
from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.handlers.common import lang_of, reply, services
from bot.texts import text
from storage import CredentialsUnreadable

logger = logging.getLogger(__name__)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """What the bot does and every command, in the user's language."""
    await reply(update, text(lang_of(update), "help"))


async def unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anything else: a short hint towards /help."""
    if update.effective_chat is not None:
        await reply(update, text(lang_of(update), "unknown_command"))


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button whose data no handler knows (an old keyboard)."""
    await update.callback_query.answer(text(lang_of(update), "fb_bad"))


async def user_is_back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any update from a user: a digest paused because they had blocked the bot (403) runs
    again. A pause for an expired login (Bilibili account linked, no credentials) stays."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or user.is_bot or chat is None or chat.type != ChatType.PRIVATE:
        return
    storage = services(context).storage
    setting = await asyncio.to_thread(storage.get_digest, user.id)
    if setting is None or not setting.paused:
        return
    record = await asyncio.to_thread(storage.get_user, user.id)
    try:
        logged_in = await asyncio.to_thread(storage.load_credentials, user.id) is not None
    except CredentialsUnreadable:
        logged_in = False
    if record is not None and record.mid and not logged_in:
        return
    await asyncio.to_thread(storage.set_digest_paused, user.id, False)
    logger.info("user %s wrote again; digest resumed", user.id)
