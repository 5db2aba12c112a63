"""▶ under a list: the next batch of the same ranking, without anything shown before.

The tapped message loses its ▶ (the new batch carries the next one); an expired list, a batch
already sent, or a list with nothing left answers with a toast (the last also with a message).
"""
from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.buttons import redraw
from bot.handlers.common import lang_of, reply
from bot.render import MORE_PREFIX, markup_rows, parse_more_data, without_more
from bot.sending import send_list
from bot.services.lists import MORE_EXHAUSTED, MORE_OK
from bot.texts import text

MORE_PATTERN = rf"^{MORE_PREFIX}:"
TOASTS = {"expired": "more_expired", "stale": "more_stale", MORE_EXHAUSTED: "more_exhausted"}


async def more_button(update: Update, context: BotContext) -> None:
    """▶: send the next batch of the list (see module doc)."""
    query, lang, tg_id = update.callback_query, lang_of(update, context), update.effective_user.id
    parsed = parse_more_data(query.data)
    if parsed is None:
        await query.answer(text(lang, "fb_bad"))
        return
    svc = context.services
    answer = await svc.lists.more(tg_id, *parsed)
    rows = markup_rows(getattr(query.message, "reply_markup", None))
    if rows:
        await redraw(query, without_more(rows))
    if answer.status != MORE_OK:
        if answer.status == MORE_EXHAUSTED:
            await reply(update, text(lang, "more_exhausted"))
        await query.answer(text(lang, TOASTS[answer.status]))
        return
    result = answer.result
    last = result.offset + len(result.items)
    await send_list(context.bot, update.effective_chat.id, result, lang,
                    header=text(lang, f"{answer.channel}_title"),
                    extra_notes=(text(lang, "more_note", first=result.offset + 1, last=last),))
    await query.answer()
    await svc.lists.log_shown(tg_id, answer.log_channel, result)
