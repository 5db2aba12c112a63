"""The error handler: log unexpected exceptions without secrets, tell the user."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import BotContext
from bot.faults import fault_text
from bot.handlers.common import lang_of, reply

logger = logging.getLogger(__name__)


async def error_handler(update: object, context: BotContext) -> None:
    """Log the exception (type, message and traceback; never the update's payload or any
    credential: Credentials and Bilibili errors redact themselves) and apologise to the user."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    user_id = (update.effective_user.id
               if isinstance(update, Update) and update.effective_user else None)
    logger.error("unhandled %s while handling update %s of user %s", type(error).__name__,
                 update_id, user_id, exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await reply(update, fault_text(error, lang_of(update, context)))
        except TelegramError as exc:
            logger.warning("could not tell user %s about the error: %s", user_id, exc)
