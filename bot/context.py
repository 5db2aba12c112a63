"""The typed callback context every handler and job receives (python-telegram-bot ContextTypes).

``context.services`` is the bot's ``BotServices``, put into ``bot_data`` by the composition root;
``CONTEXT_TYPES`` is what ``bot.app`` passes to the ApplicationBuilder.
"""
from __future__ import annotations

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.services.container import BotServices

SERVICES_KEY = "services"


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """The callback context of this bot: python-telegram-bot's, plus the services."""

    @property
    def services(self) -> BotServices:
        """The bot's services (set by the composition root)."""
        return self.application.bot_data[SERVICES_KEY]


def services_of(application: Application) -> BotServices:
    """The services of an Application built by ``bot.app.build_application``."""
    return application.bot_data[SERVICES_KEY]


CONTEXT_TYPES = ContextTypes(context=BotContext)
