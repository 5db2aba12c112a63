"""The buttons of a list: 👍/👎 (a second tap undoes), ⋯ (the menu of one entry) and its
"fewer from this UP主 / zone", and the unmute buttons under /status's list of mutes.

Each tap edits the keyboard of the message it came from (editMessageReplyMarkup, so photo and
text lists alike) to show the new state, then answers with a short toast. The entries are read
back from that keyboard; what they show comes from the service (``bot.services.feedback``).
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from telegram import CallbackQuery, Update
from telegram.error import BadRequest, TelegramError

from bot.context import BotContext
from bot.handlers.common import lang_of
from bot.render import (FEEDBACK_PREFIX, MENU_PREFIX, MUTE_PREFIX, NAME_MAX_CHARS,
                        UNMUTE_PREFIX, ListKeyboard, feedback_rows, markup_rows,
                        parse_feedback_data, parse_menu_data, parse_mute_data,
                        parse_unmute_data, read_list_keyboard, render_mutes, rows_markup,
                        shorten)
from bot.services import feedback as fb
from bot.texts import text
from bot.zones import zone_name

logger = logging.getLogger(__name__)
VOTE_PATTERN = rf"^{FEEDBACK_PREFIX}:"
MENU_PATTERN = rf"^{MENU_PREFIX}:"
MUTE_PATTERN = rf"^{MUTE_PREFIX}:"
UNMUTE_PATTERN = rf"^{UNMUTE_PREFIX}:"
TOASTS = {fb.UP: "fb_saved_up", fb.DOWN: "fb_saved_down", fb.UNDONE: "fb_undone",
          fb.LOGGED_OUT: "fb_logged_out", fb.UNKNOWN_VIDEO: "menu_expired"}


def keyboard_of(query: CallbackQuery) -> ListKeyboard:
    """The list keyboard of the tapped message (empty when Telegram sent no message)."""
    message = query.message
    return read_list_keyboard(markup_rows(getattr(message, "reply_markup", None)))


async def redraw(query: CallbackQuery, rows) -> None:
    """Put these rows on the tapped message (best effort: a refused edit is logged)."""
    try:
        await query.edit_message_reply_markup(reply_markup=rows_markup(rows))
    except BadRequest as exc:  # "message is not modified", a message too old to edit
        logger.debug("keyboard edit refused: %s", exc)
    except TelegramError as exc:
        logger.warning("keyboard edit failed: %s", exc)


async def answer_tap(query: CallbackQuery, keyboard: ListKeyboard, tap: fb.Tap,
                     lang: str) -> None:
    """Redraw the list keyboard in the tap's new state, then answer with its toast."""
    if tap.state is not None and keyboard.entries:
        await redraw(query, (*feedback_rows(keyboard.entries, lang, tap.state),
                             *keyboard.other_rows))
    if tap.outcome in (fb.MUTED, fb.UNMUTED):
        kind = "author" if tap.kind == "author" else "zone"
        name = shorten(tap.name, NAME_MAX_CHARS)
        toast = text(lang, f"{tap.outcome}_{kind}", name=name, zone=zone_name(name, lang))
    else:
        key = TOASTS.get(tap.outcome)
        toast = text(lang, key) if key else None
    await query.answer(toast)


async def list_tap(update: Update, context: BotContext, parse: Callable[[str | None], Any],
                   act: Callable[[fb.FeedbackService, int, Any, ListKeyboard],
                                 Awaitable[fb.Tap]]) -> None:
    """One tap on a list keyboard: parse its data (a forged one gets a toast), let the feedback
    service act on it with the keyboard's entries, then redraw and answer."""
    query, lang = update.callback_query, lang_of(update, context)
    parsed = parse(query.data)
    if parsed is None:
        await query.answer(text(lang, "fb_bad"))
        return
    keyboard = keyboard_of(query)
    tap = await act(context.services.feedback, update.effective_user.id, parsed, keyboard)
    await answer_tap(query, keyboard, tap, lang)


def entry_ids(keyboard: ListKeyboard) -> list[str]:
    """The BV ids of the keyboard's entries, in order."""
    return [bvid for _, bvid in keyboard.entries]


async def vote_button(update: Update, context: BotContext) -> None:
    """👍/👎: stored, or undone when tapped again; the keyboard shows the choice."""
    await list_tap(update, context, parse_feedback_data,
                   lambda service, tg_id, vote, keyboard: service.vote(
                       tg_id, vote[1], vote[0], entry_ids(keyboard), keyboard.menu))


async def menu_button(update: Update, context: BotContext) -> None:
    """⋯: open (or close) the entry's "fewer from this UP主 / zone" menu."""
    await list_tap(update, context, parse_menu_data,
                   lambda service, tg_id, bvid, keyboard: service.toggle_menu(
                       tg_id, bvid, entry_ids(keyboard), keyboard.menu))


async def mute_button(update: Update, context: BotContext) -> None:
    """"Fewer from this UP主 / zone": muted, or unmuted when it was."""
    await list_tap(update, context, parse_mute_data,
                   lambda service, tg_id, mute, keyboard: service.mute(
                       tg_id, mute[0], mute[1], entry_ids(keyboard)))


async def unmute_button(update: Update, context: BotContext) -> None:
    """An unmute button under /status's mutes: the mute goes, the list of mutes is redrawn."""
    query, lang = update.callback_query, lang_of(update, context)
    mute_id = parse_unmute_data(query.data)
    if mute_id is None:
        await query.answer(text(lang, "fb_bad"))
        return
    result = await context.services.feedback.unmute(update.effective_user.id, mute_id)
    message = render_mutes(result.remaining, lang)
    rows = markup_rows(getattr(query.message, "reply_markup", None))
    if any(parse_unmute_data(data) is not None for row in rows for _, data in row):
        try:  # only a list of mutes is redrawn (never a message the data was forged onto)
            await query.edit_message_text(message.text, reply_markup=message.reply_markup())
        except BadRequest as exc:  # "message is not modified" after a double tap
            logger.debug("mutes edit refused: %s", exc)
        except TelegramError as exc:
            logger.warning("mutes edit failed: %s", exc)
    removed = result.removed
    if removed is None:
        await query.answer(text(lang, "unmute_gone"))
    else:
        name = shorten(removed.name, NAME_MAX_CHARS)
        await query.answer(text(lang, f"unmuted_{removed.kind}", name=name,
                                zone=zone_name(name, lang)))
