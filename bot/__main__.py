"""``python -m bot``: read the settings, build the Application, poll Telegram until stopped.

``python -m bot --check`` only checks that the bot could start (settings, data directory,
database and key; see bot.healthcheck) and exits 0, or 1 with a one-line reason.
"""
from __future__ import annotations

import asyncio
import logging
import sys

# httpx imports its command-line client (rich, pygments, click: ~80 modules, ~65 ms of every
# start) whenever those are installed, as TensorFlow's keras installs rich; the bot never runs it
sys.modules.setdefault("httpx._main", None)

from bot.logsafety import protect_token  # noqa: E402
from bot.settings import Settings, SettingsError  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--check"]:
        from bot.healthcheck import run_check

        code, line = run_check()
        print(f"bilirec: {line}", file=sys.stdout if code == 0 else sys.stderr)
        return code
    if args:
        print("usage: python -m bot [--check]", file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"bilirec: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    protect_token(settings.telegram_bot_token)  # the root handler redacts from here on
    from bot.app import StartupError, build_application, reach_telegram  # heavy imports

    try:
        application = build_application(settings)
        asyncio.run(reach_telegram(settings))
    except KeyboardInterrupt:
        return 130
    except StartupError as exc:
        logging.getLogger("bot").debug("start-up failed", exc_info=True)
        print(f"bilirec: {exc}", file=sys.stderr)
        return 2
    logging.getLogger("bot").info("starting; Bot API at %s, data in %s",
                                  settings.telegram_api_url, settings.data_dir)
    application.run_polling(allowed_updates=["message", "callback_query", "channel_post"],
                            bootstrap_retries=-1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
