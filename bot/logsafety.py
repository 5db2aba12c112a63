"""Keep the bot token out of logs.

python-telegram-bot logs its API URLs (which contain the token) at DEBUG, and httpx logs every
request URL at INFO. ``protect_token`` quiets httpx and installs a filter that redacts the token
from every record of the telegram loggers, whatever log level the operator chooses.
"""
from __future__ import annotations

import logging

TELEGRAM_LOGGERS = ("telegram.ext.ExtBot", "telegram.Bot", "telegram.ext.Updater",
                    "telegram.ext.Application", "telegram.request", "telegram.ext")
REDACTED = "<bot-token>"


class RedactToken(logging.Filter):
    """Replaces the token in a record's message (args are merged into the text)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token in message:
            record.msg, record.args = message.replace(self._token, REDACTED), ()
        return True


def protect_token(token: str) -> None:
    """Quiet httpx/httpcore and redact the token from python-telegram-bot's log records."""
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in TELEGRAM_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactToken) and f._token == token for f in logger.filters):
            logger.addFilter(RedactToken(token))
