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
    """Replaces the token in a record's message (args are merged into the text) and in its
    exception text (the formatted traceback is kept redacted in ``exc_text``)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token in message:
            record.msg, record.args = message.replace(self._token, REDACTED), ()
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self._token in record.exc_text:
            record.exc_text = record.exc_text.replace(self._token, REDACTED)
        return True


def redact(text: str, token: str) -> str:
    """text with the token replaced (for exception messages shown to the operator)."""
    return text.replace(token, REDACTED) if token else text


def _add_filter(target: logging.Filterer, token: str) -> None:
    if not any(isinstance(f, RedactToken) and f._token == token for f in target.filters):
        target.addFilter(RedactToken(token))


def protect_token(token: str) -> None:
    """Quiet httpx/httpcore and redact the token from python-telegram-bot's log records and
    from every record that reaches the root logger's handlers (messages and tracebacks)."""
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in TELEGRAM_LOGGERS:
        _add_filter(logging.getLogger(name), token)
    for handler in logging.getLogger().handlers:
        _add_filter(handler, token)
