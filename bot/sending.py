"""Sending ranked lists, shared by the handlers and the digest jobs."""
from __future__ import annotations

from telegram import Bot

from bot.render import RenderedMessage, format_age, render_list
from bot.services.lists import ListResult
from bot.texts import text


def list_messages(result: ListResult, lang: str, *, header: str,
                  extra_notes: tuple[str, ...] = ()) -> list[RenderedMessage]:
    """A ranked list as messages, with its staleness and provisional notes."""
    notes = list(extra_notes)
    if result.age_s is not None:
        notes.insert(0, text(lang, "stale", age=format_age(result.age_s, lang)))
    if result.provisional and result.items:
        notes.append(text(lang, "provisional_content" if result.ranker == "content"
                          else "provisional"))
    return render_list(result.items, lang, header=header, notes=notes)


async def send_list(bot: Bot, chat_id: int, result: ListResult, lang: str, *, header: str,
                    extra_notes: tuple[str, ...] = (), buttons: bool = True) -> list[str]:
    """Send a ranked list (split as needed, 👍/👎 buttons unless buttons=False); returns the
    BV ids sent."""
    for message in list_messages(result, lang, header=header, extra_notes=extra_notes):
        await bot.send_message(chat_id, message.text,
                               reply_markup=message.reply_markup() if buttons else None)
    return [item.video.bvid for item in result.items]
