"""The one mapping from a failed service call to the user's message."""
from __future__ import annotations

from bilibili.errors import BilibiliError, RiskControl
from bot.services.accounts import LoginExpired, LoginRequired
from bot.texts import text

# what a service call may raise that the user is told about in words (anything else is a bug)
SERVICE_ERRORS = (LoginRequired, LoginExpired, BilibiliError)


def fault_text(exc: BaseException, lang: str, *, login_needed: str = "login_needed_sync") -> str:
    """The user's message for exc: login_needed (a text key) without a login, a new /login for
    an expired one, risk control or "unreachable" for Bilibili faults, else the apology."""
    if isinstance(exc, LoginRequired):
        return text(lang, login_needed)
    if isinstance(exc, LoginExpired):
        return text(lang, "login_expired")
    if isinstance(exc, RiskControl):
        return text(lang, "risk_control")
    if isinstance(exc, BilibiliError):
        return text(lang, "unavailable")
    return text(lang, "error")
