"""The composition root: settings → Storage, BilibiliClient, Recommender → services → handlers.

``build_application`` returns a ready python-telegram-bot Application; ``python -m bot`` runs it
with long polling. Tests pass their own client/storage/recommender to run the same wiring
against the fakes. Nothing here is module-level state: everything hangs off the Application.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import os
import ssl
from typing import TYPE_CHECKING

import httpx
from telegram import Bot, BotCommand, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults
from telegram.request import HTTPXRequest

from bilibili import BilibiliClient
from bot import handlers
from bot.context import CONTEXT_TYPES, SERVICES_KEY, services_of
from bot.jobs import rebuild_digests
from bot.logsafety import protect_token, redact
from bot.services.container import BotServices
from bot.services.executors import BilibiliCalls, storage_pool
from bot.settings import Settings
from bot.texts import COMMANDS, text
from storage import (KeyMissing, Storage, StorageError, StorageUnavailable,
                     load_or_create_key)
from storage.crypto import KEY_FILENAME

if TYPE_CHECKING:
    from recommender import Recommender

logger = logging.getLogger(__name__)
CONCURRENT_UPDATES = 64
RATE_LIMIT_RETRIES = 3
FIRST_RETRY_S, MAX_RETRY_S = 1.0, 60.0
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # every message: lists would show a card each
KEY_ADVICE = ("restore the old key (BILIREC_SECRET_KEY or secret.key), or start once with "
              "BILIREC_KEY_RESET=1 to drop those logins (the users are asked to /login again)")


class StartupError(Exception):
    """The bot cannot start; the message is one line saying what to do (never a secret)."""


def open_storage(settings: Settings) -> Storage:
    """The data directory's Storage with its key; StartupError for a missing or bad key or an
    unreadable database, or a data directory this process cannot write."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            refuse_a_new_key_for_stored_logins(settings)
            key = load_or_create_key(settings.data_dir, settings.secret_key,
                                     allow_new=settings.key_reset)
        except KeyMissing as exc:
            raise StartupError(f"{exc}: {KEY_ADVICE}") from None
        except ValueError as exc:
            raise StartupError(str(exc)) from None
        try:
            return Storage(settings.data_dir, key, database_url=settings.database_url)
        except StorageError as exc:
            raise storage_startup_error(exc) from None
    except OSError as exc:  # e.g. a bind-mounted folder owned by another uid
        raise StartupError(f"cannot use the data directory {settings.data_dir} "
                           f"({exc.strerror or type(exc).__name__}): make it writable for uid "
                           f"{os.getuid()}") from None


def storage_startup_error(exc: StorageError) -> StartupError:
    """The one line that says what to do about a database that cannot be opened."""
    if isinstance(exc, StorageUnavailable):
        return StartupError(f"{exc}: check BILIREC_DATABASE_URL and that the database server "
                            "runs")
    return StartupError(f"{exc} (restore the data directory from a backup, or move it away to "
                        "start afresh)")


def refuse_a_new_key_for_stored_logins(settings: Settings) -> None:
    """On PostgreSQL, as load_or_create_key does for SQLite: no new key file while the database
    holds logins (KeyMissing), unless BILIREC_KEY_RESET=1."""
    database_url = settings.database_url or ""
    if (not database_url.startswith(("postgresql://", "postgres://")) or settings.key_reset
            or settings.secret_key or (settings.data_dir / KEY_FILENAME).exists()):
        return
    try:
        with Storage(settings.data_dir, None, database_url=database_url) as probe:
            holds = probe.holds_credentials()
    except StorageError as exc:
        raise storage_startup_error(exc) from None
    if holds:
        raise KeyMissing(f"the key file {settings.data_dir / KEY_FILENAME} is missing but the "
                         "database holds encrypted Bilibili logins")


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings of every connection to the Bot API, made once: httpx's defaults
    (certifi's CA bundle, SSL_CERT_FILE/SSL_CERT_DIR honoured). Each httpx client would
    otherwise load the CA bundle again (~30 ms each, four clients at start-up)."""
    return httpx.create_ssl_context()


def telegram_request(*, for_updates: bool) -> HTTPXRequest:
    """A Bot API connection pool as ApplicationBuilder would make it (256 connections; 1 for
    getUpdates), sharing ``tls_context``."""
    return HTTPXRequest(connection_pool_size=1 if for_updates else 256,
                        httpx_kwargs={"verify": tls_context()})


async def reach_telegram(settings: Settings, *, first_delay: float = FIRST_RETRY_S,
                         max_delay: float = MAX_RETRY_S) -> None:
    """Wait until the Bot API answers getMe, retrying with doubling pauses while it is
    unreachable (one log line each); StartupError when it rejects the token."""
    delay = first_delay
    while True:
        try:
            async with Bot(settings.telegram_bot_token, base_url=settings.telegram_api_url,
                           base_file_url=settings.telegram_file_url,
                           request=telegram_request(for_updates=False),
                           get_updates_request=telegram_request(for_updates=True)):
                return
        except InvalidToken:
            raise StartupError("Telegram rejected TELEGRAM_BOT_TOKEN: copy the bot's token from "
                               "@BotFather again") from None
        except NetworkError as exc:  # connection refused, DNS, timeouts, 5xx
            logger.warning("Telegram Bot API unreachable (%s); retrying in %.0f s",
                           redact(str(exc), settings.telegram_bot_token), delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay)


def drop_unreadable_logins(storage: Storage, settings: Settings) -> list[int]:
    """Users whose stored login the key cannot decrypt: with BILIREC_KEY_RESET=1 their
    credentials are deleted and digests paused (everything else kept); otherwise StartupError."""
    unreadable = storage.unreadable_credentials()
    if unreadable and not settings.key_reset:
        raise StartupError(f"the stored Bilibili logins of {len(unreadable)} users cannot be "
                           f"decrypted with this key: {KEY_ADVICE}")
    for tg_id in unreadable:
        storage.delete_credentials(tg_id)
        if storage.get_digest(tg_id) is not None:
            storage.set_digest_paused(tg_id, True)
    if unreadable:
        logger.warning("BILIREC_KEY_RESET=1: dropped the unreadable logins of %d users; they "
                       "are asked to /login again", len(unreadable))
    return unreadable


async def tell_to_login_again(application: Application, tg_ids: list[int]) -> None:
    """One message to each user whose login was dropped by a key reset."""
    storage = services_of(application).storage
    for tg_id in tg_ids:
        user = storage.get_user(tg_id)
        try:
            await application.bot.send_message(
                tg_id, text(user.language if user else "zh", "key_reset_login"))
        except TelegramError as exc:
            logger.info("could not tell user %s to log in again: %s", tg_id, exc)


def build_application(settings: Settings, *, bilibili: BilibiliClient | None = None,
                      storage: Storage | None = None,
                      recommender: Recommender | None = None) -> Application:
    """The bot's Application with every service, handler, job and hook wired in.

    Services not passed are created from settings; the ones created here are closed by the
    Application's post_shutdown (passed ones stay the caller's to close).
    Raises StartupError when the data directory cannot be used (see ``open_storage``)."""
    protect_token(settings.telegram_bot_token)
    from recommender.text import warm_up  # loads numpy

    # the title segmenter (jieba's dictionary, compact) loads first thing, in a daemon thread,
    # so it overlaps the rest of the start-up; its cache file is made once per data directory
    tokenizer_warm_up = warm_up(settings.data_dir / "cache")
    owned: list = []
    if storage is None:
        storage = open_storage(settings)
        owned.append(storage)
    try:
        dropped = drop_unreadable_logins(storage, settings)
    except StartupError:
        for resource in owned:
            resource.close()
        raise
    if bilibili is None:
        bilibili = BilibiliClient(settings.bilibili_api_url, settings.bilibili_passport_url,
                                  settings.bilibili_www_url, timeout=settings.bilibili_timeout_s)
        owned.append(bilibili)
    if recommender is None:
        from recommender import Recommender  # loads numpy/jieba; tests may pass their own

        recommender = Recommender(storage, max_workers=settings.train_workers,
                                  time_cap_s=settings.train_time_cap_s,
                                  cache_bytes=int(settings.serving_cache_mb * 2**20),
                                  queue=training_queue(settings))
        owned.insert(0, recommender)
    # Bilibili I/O and storage/ranking on separate pools (bot.services.executors)
    calls = BilibiliCalls(settings.bilibili_threads, settings.bilibili_per_user)
    storage_threads = storage_pool()
    services = BotServices.create(settings, storage, bilibili, recommender, calls)

    async def post_init(application: Application) -> None:
        asyncio.get_running_loop().set_default_executor(storage_threads)  # asyncio.to_thread
        loop = asyncio.get_running_loop()
        recommender.on_model_unreadable = (
            lambda tg_id: loop.call_soon_threadsafe(retrain_soon, services, tg_id))
        await set_commands(application)
        rebuild_digests(application)
        await tell_to_login_again(application, dropped)

    async def post_shutdown(application: Application) -> None:
        await services.logins.close()
        await services.background.cancel_all()
        for resource in owned:
            resource.close()
        calls.shutdown()
        storage_threads.shutdown(wait=False, cancel_futures=True)

    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.telegram_file_url)
        .request(telegram_request(for_updates=False))
        .get_updates_request(telegram_request(for_updates=True))
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW))
        .context_types(CONTEXT_TYPES)
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data[SERVICES_KEY] = services
    application.bot_data["tokenizer_warm_up"] = tokenizer_warm_up
    handlers.register(application)
    return application


def training_queue(settings: Settings):
    """The Celery training queue when BILIREC_BROKER_URL is set, else None (in-process)."""
    if not settings.broker_url:
        return None
    from recommender.queue import TrainingQueue
    from recommender.service import STARTUP_GRACE_S

    return TrainingQueue(settings.broker_url, settings.train_queue,
                         wait_s=settings.train_time_cap_s + STARTUP_GRACE_S)


def retrain_soon(services: BotServices, tg_id: int) -> None:
    """Retrain the user's model in the background unless a sync (which trains) is running."""
    if services.sync.claim(tg_id) is None:
        services.background.spawn(services.sync.retrain(tg_id), name=f"retrain:{tg_id}")


async def set_commands(application: Application) -> None:
    """The command menu: Chinese by default, English for English clients."""
    for lang, commands in COMMANDS.items():
        await application.bot.set_my_commands(
            [BotCommand(name, description) for name, description in commands],
            language_code=None if lang == "zh" else lang)
