"""/help, unknown commands, buttons nobody handles, and noticing a user is back."""
from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from bot.context import BotContext
from bot.handlers.common import lang_of, reply
from bot.texts import text


async def help_command(update: Update, context: BotContext) -> None:
    """What the bot does and every command, in the user's language."""
    await reply(update, text(lang_of(update, context), "help"))


async def unknown(update: Update, context: BotContext) -> None:
    """Anything else: a short hint towards /help."""
    if update.effective_chat is not None:
        await reply(update, text(lang_of(update, context), "unknown_command"))


async def stale_button(update: Update, context: BotContext) -> None:
    """A button whose data no handler knows (an old keyboard)."""
    await update.callback_query.answer(text(lang_of(update, context), "fb_bad"))


async def user_is_back(update: Update, context: BotContext) -> None:
    """Any update from a user: a digest paused because they had blocked the bot (403) runs
    again. A pause for an expired login (Bilibili account linked, no credentials) stays."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or user.is_bot or chat is None or chat.type != ChatType.PRIVATE:
        return
    await context.services.digests.resume_if_back(user.id)
