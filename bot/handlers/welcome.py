"""/start (a welcome with a "scan to log in" button) and the /logout confirmation."""
from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.context import BotContext
from bot.handlers.common import escape, lang_of, reply
from bot.handlers.login import start_login
from bot.handlers.privacy import is_private
from bot.jobs import unschedule_digest
from bot.texts import text

logger = logging.getLogger(__name__)

LOGIN_START_DATA = "login:start"
LOGIN_START_PATTERN = rf"^{LOGIN_START_DATA}$"
LOGOUT_ERASE_DATA, LOGOUT_KEEP_DATA = "logout:erase", "logout:keep"
LOGOUT_PATTERN = r"^logout:(erase|keep)$"


async def _edit(query: CallbackQuery, message: str) -> None:
    """Edit the question (a second tap on an answered one finds it unchanged: logged)."""
    try:
        await query.edit_message_text(message)
    except BadRequest as exc:
        logger.info("logout confirmation not edited: %s", exc)


async def start_command(update: Update, context: BotContext) -> None:
    """/start: welcome; a user not logged in gets the "scan to log in" button (in a group
    the button leads to the private chat, see ``privacy.private_only``)."""
    lang = lang_of(update, context)
    name = (await context.services.users.logged_in_name(update.effective_user.id)
            if is_private(update) else None)
    if name is not None:
        await reply(update, text(lang, "welcome_back", name=escape(name)))
        return
    button = InlineKeyboardButton(text(lang, "welcome_login_button"),
                                  callback_data=LOGIN_START_DATA)
    await reply(update, text(lang, "welcome"), reply_markup=InlineKeyboardMarkup([[button]]))


async def login_start_button(update: Update, context: BotContext) -> None:
    """The welcome's "scan to log in" button: the same flow as /login."""
    await update.callback_query.answer()
    start_login(context, update.effective_user.id, update.effective_chat.id, lang_of(update, context))


async def logout_command(update: Update, context: BotContext) -> None:
    """/logout: ask first, with an erase and a keep button."""
    lang = lang_of(update, context)
    keyboard = InlineKeyboardMarkup([[
        InlineKeyboardButton(text(lang, "logout_erase_button"), callback_data=LOGOUT_ERASE_DATA),
        InlineKeyboardButton(text(lang, "logout_keep_button"), callback_data=LOGOUT_KEEP_DATA),
    ]])
    await reply(update, text(lang, "logout_confirm"), reply_markup=keyboard)


async def logout_button(update: Update, context: BotContext) -> None:
    """The confirmation's answer: erase (through ``Users.log_out``, the one eraser) or keep;
    the question is edited into the outcome, without buttons. A question already answered
    (its buttons gone) does nothing."""
    query = update.callback_query
    svc, lang, tg_id = context.services, lang_of(update, context), update.effective_user.id
    markup = query.message.reply_markup if query.message else None
    if markup is None or all(button.callback_data != query.data
                             for row in markup.inline_keyboard for button in row):
        await query.answer(text(lang, "fb_bad"))
        return
    await query.answer()
    if query.data == LOGOUT_KEEP_DATA:
        await _edit(query, text(lang, "logout_kept"))
        return
    await _edit(query, text(lang, "logout_erasing"))  # the buttons go at once
    svc.logins.cancel(tg_id)
    unschedule_digest(context.job_queue, tg_id)
    signed_out = await svc.users.log_out(tg_id)
    message = text(lang, "logout_done")
    if signed_out is not None:
        message += "\n" + text(lang, "logout_bilibili_done" if signed_out
                                else "logout_bilibili_kept")
    await _edit(query, message)
