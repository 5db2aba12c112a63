"""The composition root: settings → Storage, BilibiliClient, Recommender → services → handlers.

``build_application`` returns a ready python-telegram-bot Application; ``python -m bot`` runs it
with long polling. Tests pass their own client/storage/recommender to run the same wiring
against the fakes. Nothing here is module-level state: everything hangs off the Application.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import BotCommand
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bilibili import BilibiliClient
from bot import handlers
from bot.jobs import rebuild_digests
from bot.logsafety import protect_token
from bot.services.container import BotServices
from bot.settings import Settings
from bot.texts import COMMANDS
from storage import Storage, load_or_create_key

if TYPE_CHECKING:
    from recommender import Recommender

logger = logging.getLogger(__name__)
CONCURRENT_UPDATES = 64
RATE_LIMIT_RETRIES = 3


def build_application(settings: Settings, *, bilibili: BilibiliClient | None = None,
                      storage: Storage | None = None,
                      recommender: Recommender | None = None) -> Application:
    """The bot's Application with every service, handler, job and hook wired in.

    Services not passed are created from settings; the ones created here are closed by the
    Application's post_shutdown (passed ones stay the caller's to close)."""
    protect_token(settings.telegram_bot_token)
    owned: list = []
    if storage is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        key = load_or_create_key(settings.data_dir, settings.secret_key)
        storage = Storage(settings.data_dir, key)
        owned.append(storage)
    if bilibili is None:
        bilibili = BilibiliClient(settings.bilibili_api_url, settings.bilibili_passport_url,
                                  settings.bilibili_www_url, timeout=settings.bilibili_timeout_s)
        owned.append(bilibili)
    if recommender is None:
        from recommender import Recommender  # loads numpy/jieba; tests may pass their own

        recommender = Recommender(storage, max_workers=settings.train_workers,
                                  time_cap_s=settings.train_time_cap_s)
        owned.insert(0, recommender)
    services = BotServices.create(settings, storage, bilibili, recommender)

    async def post_init(application: Application) -> None:
        await set_commands(application)
        rebuild_digests(application)

    async def post_shutdown(application: Application) -> None:
        await services.logins.close()
        await services.background.cancel_all()
        for resource in owned:
            resource.close()

    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.telegram_file_url)
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data["services"] = services
    handlers.register(application)
    return application


async def set_commands(application: Application) -> None:
    """The command menu: Chinese by default, English for English clients."""
    for lang, commands in COMMANDS.items():
        await application.bot.set_my_commands(
            [BotCommand(name, description) for name, description in commands],
            language_code=None if lang == "zh" else lang)
