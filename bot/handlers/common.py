"""Helpers shared by the handlers: the user's language, HTML escaping, replying."""
from __future__ import annotations

import html

from typing import TYPE_CHECKING

from telegram import Update

from bot.texts import language_for

if TYPE_CHECKING:
    from bot.context import BotContext


def lang_of(update: Update, context: "BotContext | None" = None) -> str:
    """The language of the update's user: the one chosen in /settings (with context), else
    "en" for English clients and "zh" for everyone else."""
    user = update.effective_user
    if context is not None and user is not None:
        chosen = context.services.preferences.language(user.id)
        if chosen is not None:
            return chosen
    return language_for(user.language_code if user else None)


def escape(value: object) -> str:
    return html.escape(str(value))


async def reply(update: Update, message: str, **kwargs) -> None:
    """Answer in the update's chat (HTML, no link preview: the Application's defaults)."""
    await update.effective_chat.send_message(message, **kwargs)
