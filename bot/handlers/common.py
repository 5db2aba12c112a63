"""Helpers shared by the handlers: the user's language, HTML escaping, replying."""
from __future__ import annotations

import html

from telegram import Update

from bot.texts import language_for


def lang_of(update: Update) -> str:
    """The language of the update's user: "en" for English clients, else "zh"."""
    user = update.effective_user
    return language_for(user.language_code if user else None)


def escape(value: object) -> str:
    return html.escape(str(value))


async def reply(update: Update, message: str, **kwargs) -> None:
    """Answer in the update's chat (HTML, no link preview: the Application's defaults)."""
    await update.effective_chat.send_message(message, **kwargs)
