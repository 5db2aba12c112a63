"""Sending ranked lists, shared by the handlers and the digest jobs."""
from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError

from bot.render import (RANKER_ORDER, RenderedMessage, attach_cover, format_age, render_list,
                        with_more)
from bot.services.lists import ListResult
from bot.texts import text

logger = logging.getLogger(__name__)


def list_messages(result: ListResult, lang: str, *, header: str,
                  extra_notes: tuple[str, ...] = ()) -> list[RenderedMessage]:
    """A ranked list as messages, with its staleness and provisional notes, the top pick's
    cover (``bot.render.attach_cover``) and, when it has a cursor, the ▶ button under the last
    message; a ▶ batch numbers its entries on from the earlier ones."""
    notes = list(extra_notes)
    if result.age_s is not None:
        notes.insert(0, text(lang, "stale", age=format_age(result.age_s, lang)))
    if result.provisional and result.items:
        notes.append(text(lang, "provisional_content" if result.ranker == "content"
                          else "provisional"))
    elif result.items and result.ranker in RANKER_ORDER:  # what the user's plan serves
        notes.append(text(lang, "list_ranked_by",
                          ranker=text(lang, f"ranker_short_{result.ranker}")))
    messages = attach_cover(render_list(result.items, lang, header=header, notes=notes,
                                        start=result.offset + 1), result.items)
    if result.more is not None and result.items:
        messages = with_more(messages, *result.more, lang)
    return messages


async def show_typing(bot: Bot, chat_id: int) -> None:
    """The "typing…" indicator while a list is being made; a refusal costs only that."""
    try:
        await bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramError as exc:
        logger.info("typing indicator not shown in chat %s: %s", chat_id, exc)


async def send_rendered(bot: Bot, chat_id: int, message: RenderedMessage, *,
                        buttons: bool = True, silent: bool = False) -> None:
    """Send one rendered message: as a photo with caption when it has a photo_url (as text
    with that picture as link preview when Telegram cannot use the photo), else as text;
    silent sends it with disable_notification (no sound)."""
    markup = message.reply_markup() if buttons else None
    if message.photo_url:
        try:
            await bot.send_photo(chat_id, message.photo_url, caption=message.text,
                                 reply_markup=markup, disable_notification=silent)
            return
        except BadRequest as exc:  # the cover could not be fetched or used
            logger.info("cover photo not sent to chat %s (%s); sending the list as text",
                        chat_id, exc)
            message = replace(message, photo_url=None, preview_url=message.photo_url)
    await bot.send_message(chat_id, message.text, reply_markup=markup,
                           link_preview_options=message.link_preview(),
                           disable_notification=silent)


async def send_list(bot: Bot, chat_id: int, result: ListResult, lang: str, *, header: str,
                    extra_notes: tuple[str, ...] = (), buttons: bool = True) -> list[str]:
    """Send a ranked list (split as needed, the top pick's cover, 👍/👎 buttons unless
    buttons=False); returns the BV ids sent."""
    for message in list_messages(result, lang, header=header, extra_notes=extra_notes):
        await send_rendered(bot, chat_id, message, buttons=buttons)
    return [item.video.bvid for item in result.items]
