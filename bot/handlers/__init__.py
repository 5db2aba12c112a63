"""Telegram handlers, one module per area; ``register`` adds them all to an Application."""
from __future__ import annotations

from telegram import Update
from telegram.ext import (Application, CallbackQueryHandler, CommandHandler, MessageHandler,
                          TypeHandler, filters)

from bot.handlers import (account, basic, buttons, digest, errors, lists, login, more, settings,
                          taste, welcome)
from bot.handlers.privacy import channel_post, deep_linked, private_only

ACCOUNT_HANDLERS = {  # privacy.ACCOUNT_COMMANDS, with their handlers
    "login": login.login_command,
    "status": account.status_command,
    "sync": account.sync_command,
    "logout": welcome.logout_command,
    "digest": digest.digest_command,
    "explore": lists.explore_command,
    "hot": lists.hot_command,
    "settings": settings.settings_command,
    "taste": taste.taste_command,
}

LIST_BUTTONS = (  # the buttons of lists and of /status's mutes, with their callback patterns
    (buttons.vote_button, buttons.VOTE_PATTERN),
    (buttons.menu_button, buttons.MENU_PATTERN),
    (buttons.mute_button, buttons.MUTE_PATTERN),
    (buttons.unmute_button, buttons.UNMUTE_PATTERN),
    (more.more_button, more.MORE_PATTERN),
)


def register(application: Application) -> None:
    """Add every handler and the error handler. Account commands and buttons run only in
    private chats (see ``bot.handlers.privacy``); ``/start <command>`` runs the command.
    Every update first passes ``basic.user_is_back`` (group -1)."""
    application.add_handler(TypeHandler(Update, settings.remember_language), group=-3)
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND
                                           & filters.ChatType.PRIVATE, settings.settings_input),
                            group=-2)
    application.add_handler(TypeHandler(Update, basic.user_is_back), group=-1)
    for name, handler in ACCOUNT_HANDLERS.items():
        application.add_handler(CommandHandler(
            "start", deep_linked(handler),
            filters.ChatType.PRIVATE & filters.Regex(rf"^/start(@\w+)? {name}$")))
    application.add_handler(CommandHandler("start", welcome.start_command))
    application.add_handler(CommandHandler("help", basic.help_command))
    for name, handler in ACCOUNT_HANDLERS.items():
        elsewhere = lists.group_hot if name == "hot" else None
        application.add_handler(CommandHandler(name, private_only(name, handler,
                                                                  elsewhere=elsewhere)))
    for button, pattern in LIST_BUTTONS:
        application.add_handler(CallbackQueryHandler(private_only("start", button),
                                                     pattern=pattern))
    application.add_handler(CallbackQueryHandler(private_only("login", login.new_code_button),
                                                 pattern=login.NEW_CODE_PATTERN))
    application.add_handler(CallbackQueryHandler(private_only("settings",
                                                              settings.settings_button),
                                                 pattern=settings.SETTINGS_PATTERN))
    application.add_handler(CallbackQueryHandler(
        private_only("login", welcome.login_start_button), pattern=welcome.LOGIN_START_PATTERN))
    application.add_handler(CallbackQueryHandler(private_only("logout", welcome.logout_button),
                                                 pattern=welcome.LOGOUT_PATTERN))
    application.add_handler(MessageHandler(filters.UpdateType.CHANNEL_POST & filters.COMMAND,
                                           channel_post))
    application.add_handler(CallbackQueryHandler(basic.stale_button))
    application.add_handler(MessageHandler(
        (filters.COMMAND | filters.TEXT) & filters.ChatType.PRIVATE, basic.unknown))
    application.add_error_handler(errors.error_handler)
