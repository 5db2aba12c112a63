"""Telegram handlers, one module per area; ``register`` adds them all to an Application."""
from __future__ import annotations

from telegram.ext import (Application, CallbackQueryHandler, CommandHandler, MessageHandler,
                          filters)

from bot.handlers import account, basic, digest, errors, lists, login


def register(application: Application) -> None:
    """Add every handler and the error handler."""
    application.add_handler(CommandHandler(["start", "help"], basic.help_command))
    application.add_handler(CommandHandler("login", login.login_command))
    application.add_handler(CommandHandler("hot", lists.hot_command))
    application.add_handler(CommandHandler("explore", lists.explore_command))
    application.add_handler(CommandHandler("digest", digest.digest_command))
    application.add_handler(CommandHandler("status", account.status_command))
    application.add_handler(CommandHandler("sync", account.sync_command))
    application.add_handler(CommandHandler("logout", account.logout_command))
    application.add_handler(CallbackQueryHandler(lists.feedback_button,
                                                 pattern=lists.FEEDBACK_PATTERN))
    application.add_handler(CallbackQueryHandler(login.new_code_button,
                                                 pattern=login.NEW_CODE_PATTERN))
    application.add_handler(CallbackQueryHandler(basic.stale_button))
    application.add_handler(MessageHandler(
        (filters.COMMAND | filters.TEXT) & filters.ChatType.PRIVATE, basic.unknown))
    application.add_error_handler(errors.error_handler)
