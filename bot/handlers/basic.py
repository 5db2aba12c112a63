"""/start, /help, unknown commands and buttons nobody handles."""
from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.common import lang_of, reply
from bot.texts import text


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
