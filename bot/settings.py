"""Bot settings, read once from the environment at start-up and passed down.

Every variable, its default and its meaning (``describe()`` returns the same table as text):

| variable | default | meaning |
|---|---|---|
| TELEGRAM_BOT_TOKEN | (required) | the bot's token from @BotFather |
| TELEGRAM_API_URL | https://api.telegram.org/bot | Bot API base URL (python-telegram-bot ``base_url``) |
| TELEGRAM_FILE_URL | TELEGRAM_API_URL with ``/bot`` → ``/file/bot`` | Bot API file base URL |
| BILIBILI_API_URL | https://api.bilibili.com | Bilibili data API |
| BILIBILI_PASSPORT_URL | https://passport.bilibili.com | QR login and cookie refresh |
| BILIBILI_WWW_URL | https://www.bilibili.com | refresh_csrf page of the cookie refresh flow |
| BILIREC_DATA_DIR | ./data | SQLite database, model files, generated key |
| BILIREC_SECRET_KEY | generated into $BILIREC_DATA_DIR/secret.key | Fernet key for credentials |
| BILIREC_KEY_RESET | 0 | 1 = drop stored logins the key cannot decrypt (those users /login again) |
| BILIREC_TIMEZONE | Asia/Shanghai | default time zone of digests |
| BILIREC_LOG_LEVEL | INFO | logging level |
| BILIREC_QR_POLL_S | 2 | seconds between QR login polls |
| BILIREC_QR_TIMEOUT_S | 180 | a QR code is given up after this many seconds |
| BILIREC_POPULAR_TTL_S | 600 | the shared popular list is fetched at most once per window |
| BILIREC_REFRESH_CHECK_S | 21600 | how often per user to ask Bilibili whether cookies need a refresh |
| BILIREC_TRAIN_TIME_CAP_S | 120 | time cap of one model training |
| BILIREC_TRAIN_WORKERS | 1 | training worker processes |
| BILIREC_HISTORY_CAP | 1000 | most watch-history records fetched per sync |
| BILIREC_DIGEST_SPREAD_S | 0.05 | pause between digests of users due at the same moment |
| BILIREC_BILIBILI_TIMEOUT_S | 10 | timeout of one Bilibili request |
| BILIREC_ENRICH_CHUNK | 40 | videos per batch-counts request filling the history's counts (1-50) |
| BILIREC_ENRICH_PACE_S | 1 | pause between batch-counts requests, plus up to 50% jitter (0 = off) |
| BILIREC_ENRICH_CAP | 1000 | most videos whose counts are looked up per sync (0 = off) |
| BILIREC_BILIBILI_THREADS | 32 | threads for Bilibili requests (storage and ranking have their own) |
| BILIREC_BILIBILI_PER_USER | 2 | most Bilibili requests of one user at once (more wait their turn) |
| BILIREC_SERVING_CACHE_MB | 64 | memory budget of the serving cache (users' models and contexts) |
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bilibili.client import RESOURCE_INFOS_MAX


class SettingsError(ValueError):
    """A missing or malformed environment variable; the message names it (never its value)."""


# name -> (default, meaning); None default = required or derived
VARIABLES: dict[str, tuple[str | None, str]] = {
    "TELEGRAM_BOT_TOKEN": (None, "the bot's token from @BotFather (required)"),
    "TELEGRAM_API_URL": ("https://api.telegram.org/bot", "Bot API base URL (base_url)"),
    "TELEGRAM_FILE_URL": (None, "Bot API file base URL; derived from TELEGRAM_API_URL"),
    "BILIBILI_API_URL": ("https://api.bilibili.com", "Bilibili data API"),
    "BILIBILI_PASSPORT_URL": ("https://passport.bilibili.com", "QR login and cookie refresh"),
    "BILIBILI_WWW_URL": ("https://www.bilibili.com", "refresh_csrf page of the cookie refresh"),
    "BILIREC_DATA_DIR": ("./data", "SQLite database, model files, generated key"),
    "BILIREC_SECRET_KEY": (None, "Fernet key for credentials; generated into the data dir"),
    "BILIREC_KEY_RESET": ("0", "1 = drop stored logins the key cannot decrypt (those users are "
                               "logged out and asked to /login again); 0 = refuse to start"),
    "BILIREC_TIMEZONE": ("Asia/Shanghai", "default time zone of digests"),
    "BILIREC_LOG_LEVEL": ("INFO", "logging level"),
    "BILIREC_QR_POLL_S": ("2", "seconds between QR login polls"),
    "BILIREC_QR_TIMEOUT_S": ("180", "a QR code is given up after this many seconds"),
    "BILIREC_POPULAR_TTL_S": ("600", "the popular list is fetched at most once per window"),
    "BILIREC_REFRESH_CHECK_S": ("21600", "how often per user to check for a cookie refresh"),
    "BILIREC_TRAIN_TIME_CAP_S": ("120", "time cap of one model training"),
    "BILIREC_TRAIN_WORKERS": ("1", "training worker processes"),
    "BILIREC_HISTORY_CAP": ("1000", "most watch-history records fetched per sync"),
    "BILIREC_DIGEST_SPREAD_S": ("0.05", "pause between digests due at the same moment"),
    "BILIREC_BILIBILI_TIMEOUT_S": ("10", "timeout of one Bilibili request"),
    "BILIREC_ENRICH_CHUNK": ("40", "videos per batch-counts request filling history counts "
                                   f"(at most {RESOURCE_INFOS_MAX})"),
    "BILIREC_ENRICH_PACE_S": ("1", "pause between batch-counts requests, plus up to 50% jitter"),
    "BILIREC_ENRICH_CAP": ("1000", "most videos whose counts are looked up per sync (0 = off)"),
    "BILIREC_BILIBILI_THREADS": ("32", "threads for Bilibili requests (storage and ranking "
                                       "have their own)"),
    "BILIREC_BILIBILI_PER_USER": ("2", "most Bilibili requests of one user at once (more wait "
                                       "their turn)"),
    "BILIREC_SERVING_CACHE_MB": ("64", "memory budget of the serving cache (users' models and "
                                       "contexts, estimated)"),
}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class Settings:
    """Everything the bot needs from its environment. The token is kept out of repr."""

    telegram_bot_token: str
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_file_url: str = "https://api.telegram.org/file/bot"
    bilibili_api_url: str = "https://api.bilibili.com"
    bilibili_passport_url: str = "https://passport.bilibili.com"
    bilibili_www_url: str = "https://www.bilibili.com"
    data_dir: Path = Path("./data")
    secret_key: str | None = None
    key_reset: bool = False
    timezone: str = "Asia/Shanghai"
    log_level: str = "INFO"
    qr_poll_s: float = 2.0
    qr_timeout_s: float = 180.0
    popular_ttl_s: float = 600.0
    refresh_check_s: float = 21600.0
    train_time_cap_s: float = 120.0
    train_workers: int = 1
    history_cap: int = 1000
    digest_spread_s: float = 0.05
    bilibili_timeout_s: float = 10.0
    enrich_chunk: int = 40
    enrich_pace_s: float = 1.0
    enrich_cap: int = 1000
    bilibili_threads: int = 32
    bilibili_per_user: int = 2
    serving_cache_mb: float = 64.0

    def __repr__(self) -> str:
        return (f"Settings(telegram_api_url={self.telegram_api_url!r}, "
                f"bilibili_api_url={self.bilibili_api_url!r}, data_dir={str(self.data_dir)!r}, "
                f"timezone={self.timezone!r}, token=<redacted>)")

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Read the settings; SettingsError names the first bad or missing variable."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str:
            value = (env.get(name) or "").strip()
            return value if value else (VARIABLES[name][0] or "")

        token = get("TELEGRAM_BOT_TOKEN")
        if not token:
            raise SettingsError("TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather "
                                "and export TELEGRAM_BOT_TOKEN=<token>")
        if any(ch.isspace() for ch in token):
            raise SettingsError("TELEGRAM_BOT_TOKEN must not contain spaces")
        api_url = get("TELEGRAM_API_URL").rstrip("/")
        file_url = get("TELEGRAM_FILE_URL") or derive_file_url(api_url)
        for name in ("TELEGRAM_API_URL", "BILIBILI_API_URL", "BILIBILI_PASSPORT_URL",
                     "BILIBILI_WWW_URL"):
            if not get(name).startswith(("http://", "https://")):
                raise SettingsError(f"{name} must be an http:// or https:// URL")
        timezone = get("BILIREC_TIMEZONE")
        if not valid_timezone(timezone):
            raise SettingsError(f"BILIREC_TIMEZONE is not a known time zone: {timezone!r}")
        key_reset = get("BILIREC_KEY_RESET")
        if key_reset not in ("0", "1"):
            raise SettingsError("BILIREC_KEY_RESET must be 0 or 1")
        level = get("BILIREC_LOG_LEVEL").upper()
        if level not in LOG_LEVELS:
            raise SettingsError(f"BILIREC_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        enrich_chunk = int(_positive(get, "BILIREC_ENRICH_CHUNK", integer=True))
        if enrich_chunk > RESOURCE_INFOS_MAX:
            raise SettingsError(f"BILIREC_ENRICH_CHUNK must be <= {RESOURCE_INFOS_MAX}")
        return cls(
            telegram_bot_token=token,
            telegram_api_url=api_url,
            telegram_file_url=file_url,
            bilibili_api_url=get("BILIBILI_API_URL").rstrip("/"),
            bilibili_passport_url=get("BILIBILI_PASSPORT_URL").rstrip("/"),
            bilibili_www_url=get("BILIBILI_WWW_URL").rstrip("/"),
            data_dir=Path(get("BILIREC_DATA_DIR")),
            secret_key=get("BILIREC_SECRET_KEY") or None,
            key_reset=key_reset == "1",
            timezone=timezone,
            log_level=level,
            qr_poll_s=_positive(get, "BILIREC_QR_POLL_S"),
            qr_timeout_s=_positive(get, "BILIREC_QR_TIMEOUT_S"),
            popular_ttl_s=_positive(get, "BILIREC_POPULAR_TTL_S"),
            refresh_check_s=_positive(get, "BILIREC_REFRESH_CHECK_S", allow_zero=True),
            train_time_cap_s=_positive(get, "BILIREC_TRAIN_TIME_CAP_S"),
            train_workers=int(_positive(get, "BILIREC_TRAIN_WORKERS", integer=True)),
            history_cap=int(_positive(get, "BILIREC_HISTORY_CAP", integer=True)),
            digest_spread_s=_positive(get, "BILIREC_DIGEST_SPREAD_S", allow_zero=True),
            bilibili_timeout_s=_positive(get, "BILIREC_BILIBILI_TIMEOUT_S"),
            enrich_chunk=enrich_chunk,
            enrich_pace_s=_positive(get, "BILIREC_ENRICH_PACE_S", allow_zero=True),
            enrich_cap=int(_positive(get, "BILIREC_ENRICH_CAP", integer=True, allow_zero=True)),
            bilibili_threads=int(_positive(get, "BILIREC_BILIBILI_THREADS", integer=True)),
            bilibili_per_user=int(_positive(get, "BILIREC_BILIBILI_PER_USER", integer=True)),
            serving_cache_mb=_positive(get, "BILIREC_SERVING_CACHE_MB", allow_zero=True),
        )


def derive_file_url(api_url: str) -> str:
    """The file base URL beside a Bot API base URL: ``…/bot`` → ``…/file/bot``."""
    api_url = api_url.rstrip("/")
    if api_url.endswith("/bot"):
        return api_url[: -len("/bot")] + "/file/bot"
    return api_url + "/file/bot"


def valid_timezone(name: str) -> bool:
    """Whether name is an IANA zone zoneinfo knows (e.g. Asia/Shanghai)."""
    if not name or name.startswith("/") or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _positive(get, name: str, *, integer: bool = False, allow_zero: bool = False) -> float:
    raw = get(name)
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a {'whole ' if integer else ''}number") from None
    if value < 0 or (value == 0 and not allow_zero) or value != value:
        raise SettingsError(f"{name} must be {'>= 0' if allow_zero else '> 0'}")
    return value


def describe() -> str:
    """A Markdown table of every environment variable with its default and meaning."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, (default, meaning) in VARIABLES.items():
        shown = f"`{default}`" if default is not None else "(see meaning)"
        rows.append(f"| `{name}` | {shown} | {meaning} |")
    return "\n".join(rows)
