"""Running the real bot Application against the fakes, in a background thread.

``BotRunner`` builds the Application with ``bot.app.build_application`` from env-like settings
(TELEGRAM_API_URL = the fake Telegram, BILIBILI_* = the fake Bilibili, data dir = tmp) and runs
``run_polling`` in its own event loop, exactly as ``python -m bot`` does. Tests drive it through
FakeTelegram (send_command / wait_for) and may run coroutines on the bot's loop with ``call``.
"""
from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any, Callable, Coroutine

from bilibili import BilibiliClient, QrCode
from bot.app import build_application
from bot.context import services_of
from bot.services.container import BotServices
from bot.settings import Settings


class RecordingClient(BilibiliClient):
    """The real client, remembering the QR codes it generated (to check the photo's content)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.qr_codes: list[QrCode] = []

    def qr_generate(self) -> QrCode:
        code = super().qr_generate()
        self.qr_codes.append(code)
        return code


def bot_env(tg, fake, data_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment a test bot runs with."""
    env = {
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_URL": tg.base_url,
        "BILIBILI_API_URL": fake.url,
        "BILIBILI_PASSPORT_URL": fake.url,
        "BILIBILI_WWW_URL": fake.url,
        "BILIREC_DATA_DIR": str(data_dir),
        "BILIREC_QR_POLL_S": "0.1",
        "BILIREC_REFRESH_CHECK_S": "0",
        "BILIREC_TRAIN_TIME_CAP_S": "30",
        "BILIREC_DIGEST_SPREAD_S": "0",
        "BILIREC_HISTORY_CAP": "300",
        "BILIREC_ENRICH_PACE_S": "0",
    }
    env.update(overrides)
    return env


def make_client(fake, settings: Settings) -> RecordingClient:
    """A client for the fake: its refresh key, fast retries."""
    return RecordingClient(settings.bilibili_api_url, settings.bilibili_passport_url,
                           settings.bilibili_www_url, timeout=5.0, max_retries=1, backoff=0.01,
                           refresh_public_key_pem=fake.public_key_pem)


class BotRunner:
    """One running bot (see module doc). Use as a context manager."""

    def __init__(self, env: dict[str, str], client: BilibiliClient, *,
                 recommender: Any = None) -> None:
        self.settings = Settings.from_env(env)
        self.client = client
        self.recommender = recommender
        self.application = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def services(self) -> BotServices:
        return services_of(self.application)

    def start(self, timeout: float = 20.0) -> "BotRunner":
        self.application = build_application(self.settings, bilibili=self.client,
                                             recommender=self.recommender)
        self._thread = threading.Thread(target=self._run, name="bot", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not (self.application.running and self.application.updater.running):
            if self._error is not None:
                raise RuntimeError("bot failed to start") from self._error
            if time.monotonic() > deadline:
                raise TimeoutError("bot did not start")
            time.sleep(0.02)
        return self

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        try:
            self.application.run_polling(poll_interval=0.0, timeout=1, stop_signals=None,
                                         close_loop=False)
        except BaseException as exc:  # surfaced by start()/stop()
            self._error = exc
        finally:
            self.loop.close()

    def call(self, coro_or_fn: Coroutine | Callable[[], Any], timeout: float = 30.0) -> Any:
        """Run a coroutine (or a plain function) on the bot's loop and return its result."""
        if not asyncio.iscoroutine(coro_or_fn):
            fn = coro_or_fn

            async def wrapper():
                return fn()
            coro_or_fn = wrapper()
        return asyncio.run_coroutine_threadsafe(coro_or_fn, self.loop).result(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread is None:
            return
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.application.stop_running)
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError("bot did not stop")
        self._thread = None
        if self._error is not None:
            raise RuntimeError("bot crashed") from self._error

    def __enter__(self) -> "BotRunner":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
