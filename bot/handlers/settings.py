"""/settings: every setting in one message with buttons, edited in place as the user changes
them; a "custom" time or zone is typed as the next message. Also loads the user's chosen
language before any handler answers (``remember_language``)."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop

from bot.args import ArgumentError
from bot.context import BotContext
from bot.handlers.common import escape, lang_of, reply
from bot.jobs import schedule_digest, unschedule_digest
from bot.render import SETTINGS_PREFIX, render_settings
from bot.services.preferences import SettingsOutcome
from bot.texts import text

logger = logging.getLogger(__name__)
SETTINGS_PATTERN = rf"^{SETTINGS_PREFIX}:"


async def remember_language(update: Update, context: BotContext) -> None:
    """Every update first: the user's chosen language into memory (read once per user)."""
    if update.effective_user is not None and not update.effective_user.is_bot:
        await context.services.preferences.load_language(update.effective_user.id)


async def settings_command(update: Update, context: BotContext) -> None:
    """/settings: the settings message on its main screen."""
    view = await context.services.preferences.view(update.effective_user.id)
    rendered = render_settings(view, lang_of(update, context))
    await reply(update, rendered.text, reply_markup=rendered.reply_markup())


def _reschedule(context: BotContext, tg_id: int, outcome: SettingsOutcome) -> None:
    if not outcome.digest_changed:
        return
    digest = outcome.view.digest
    if digest is None or digest.time_hhmm is None:
        unschedule_digest(context.job_queue, tg_id)
    else:
        schedule_digest(context.job_queue, tg_id, digest)


async def settings_button(update: Update, context: BotContext) -> None:
    """A settings button: apply it and edit the settings message to show the result."""
    query = update.callback_query
    tg_id = update.effective_user.id
    if query.message is None:  # too old for Telegram to show: nothing to edit
        await query.answer(text(lang_of(update, context), "fb_bad"))
        return
    try:
        outcome = await context.services.preferences.apply(
            tg_id, lang_of(update, context), query.data, query.message.message_id)
    except (ValueError, ArgumentError):
        await query.answer(text(lang_of(update, context), "fb_bad"))
        return
    lang = lang_of(update, context)  # a language just chosen answers in that language
    _reschedule(context, tg_id, outcome)
    await query.answer(text(lang, outcome.note) if outcome.note else None)
    rendered = render_settings(outcome.view, lang, outcome.screen)
    try:
        await query.edit_message_text(rendered.text, reply_markup=rendered.reply_markup())
    except BadRequest as exc:  # unchanged (e.g. a refused change): nothing to show
        logger.debug("settings message not edited: %s", exc)


async def settings_input(update: Update, context: BotContext) -> None:
    """A message typed after a "custom" button: the digest time or zone. Anything else
    passes on to the other handlers."""
    svc, tg_id = context.services, update.effective_user.id
    if tg_id not in svc.preferences.awaiting or update.effective_message.text is None:
        return
    lang = lang_of(update, context)
    try:
        outcome, message_id = await svc.preferences.enter(tg_id, lang,
                                                          update.effective_message.text)
    except ArgumentError as exc:
        values = {key: escape(value) for key, value in exc.values.items()}
        await reply(update, text(lang, exc.key, **values))
        raise ApplicationHandlerStop from None
    _reschedule(context, tg_id, outcome)
    rendered = render_settings(outcome.view, lang)
    try:
        await context.bot.edit_message_text(rendered.text, chat_id=update.effective_chat.id,
                                            message_id=message_id,
                                            reply_markup=rendered.reply_markup())
    except BadRequest as exc:
        logger.info("settings message of user %s not edited: %s", tg_id, exc)
    await reply(update, text(lang, "settings_saved"))
    raise ApplicationHandlerStop
