"""Helpers shared by the handlers: the services, the user's language, sending lists, faults."""
from __future__ import annotations

import html
import logging
from dataclasses import replace

from telegram import Bot, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bilibili.errors import BilibiliError, RiskControl
from bot.render import RenderedMessage, attach_cover, format_age, render_list
from bot.services.container import BotServices
from bot.services.lists import ListResult
from bot.texts import language_for, text

logger = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def services(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    """The bot's services (set by the composition root)."""
    return context.application.bot_data["services"]


def lang_of(update: Update) -> str:
    """The language of the update's user: "en" for English clients, else "zh"."""
    user = update.effective_user
    return language_for(user.language_code if user else None)


def fault_text(exc: BilibiliError, lang: str) -> str:
    """The short user message for a Bilibili fault."""
    return text(lang, "risk_control" if isinstance(exc, RiskControl) else "unavailable")


def escape(value: object) -> str:
    return html.escape(str(value))


async def reply(update: Update, message: str, **kwargs) -> None:
    """Answer in the update's chat with an HTML message."""
    await update.effective_chat.send_message(message, parse_mode=ParseMode.HTML,
                                             link_preview_options=NO_PREVIEW, **kwargs)


def list_messages(result: ListResult, lang: str, *, header: str,
                  extra_notes: tuple[str, ...] = ()) -> list[RenderedMessage]:
    """A ranked list as messages, with its staleness and provisional notes and the top pick's
    cover (``bot.render.attach_cover``)."""
    notes = list(extra_notes)
    if result.age_s is not None:
        notes.insert(0, text(lang, "stale", age=format_age(result.age_s, lang)))
    if result.provisional and result.items:
        notes.append(text(lang, "provisional_content" if result.ranker == "content"
                          else "provisional"))
    return attach_cover(render_list(result.items, lang, header=header, notes=notes),
                        result.items)


async def send_rendered(bot: Bot, chat_id: int, message: RenderedMessage, *,
                        buttons: bool = True) -> None:
    """Send one rendered message: as a photo with caption when it has a photo_url (as text
    with that picture as link preview when Telegram cannot use the photo), else as text."""
    markup = message.reply_markup() if buttons else None
    if message.photo_url:
        try:
            await bot.send_photo(chat_id, message.photo_url, caption=message.text,
                                 parse_mode=ParseMode.HTML, reply_markup=markup)
            return
        except BadRequest as exc:  # the cover could not be fetched or used
            logger.info("cover photo not sent to chat %s (%s); sending the list as text",
                        chat_id, exc)
            message = replace(message, photo_url=None, preview_url=message.photo_url)
    await bot.send_message(chat_id, message.text, parse_mode=ParseMode.HTML,
                           reply_markup=markup, link_preview_options=message.link_preview())


async def send_list(bot: Bot, chat_id: int, result: ListResult, lang: str, *, header: str,
                    extra_notes: tuple[str, ...] = (), buttons: bool = True) -> list[str]:
    """Send a ranked list (split as needed, the top pick's cover, 👍/👎 buttons unless
    buttons=False); returns the BV ids sent."""
    for message in list_messages(result, lang, header=header, extra_notes=extra_notes):
        await send_rendered(bot, chat_id, message, buttons=buttons)
    return [item.video.bvid for item in result.items]
