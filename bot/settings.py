"""Bot settings, read once from the environment at start-up and passed down.

Each setting is declared once, as a field of ``Settings`` naming its environment variable,
default and meaning (``variable``); ``describe()`` renders them as this table, which the README
repeats (tests/bot/test_settings.py and tests/test_readme.py check both copies):

| variable | default | meaning |
|---|---|---|
| `TELEGRAM_BOT_TOKEN` | (see meaning) | the bot's token from @BotFather (required) |
| `TELEGRAM_API_URL` | `https://api.telegram.org/bot` | Bot API base URL (base_url) |
| `TELEGRAM_FILE_URL` | (see meaning) | Bot API file base URL; derived from TELEGRAM_API_URL |
| `BILIBILI_API_URL` | `https://api.bilibili.com` | Bilibili data API |
| `BILIBILI_PASSPORT_URL` | `https://passport.bilibili.com` | QR login and cookie refresh |
| `BILIBILI_WWW_URL` | `https://www.bilibili.com` | refresh_csrf page of the cookie refresh |
| `BILIREC_DATA_DIR` | `./data` | SQLite database, model files, generated key |
| `BILIREC_SECRET_KEY` | (see meaning) | Fernet key for credentials; generated into the data dir |
| `BILIREC_KEY_RESET` | `0` | 1 = drop stored logins the key cannot decrypt (those users are logged out and asked to /login again); 0 = refuse to start |
| `BILIREC_TIMEZONE` | `Asia/Shanghai` | default time zone of digests |
| `BILIREC_LOG_LEVEL` | `INFO` | logging level |
| `BILIREC_QR_POLL_S` | `2` | seconds between QR login polls |
| `BILIREC_QR_TIMEOUT_S` | `180` | a QR code is given up after this many seconds |
| `BILIREC_POPULAR_TTL_S` | `600` | the popular list is fetched at most once per window |
| `BILIREC_REFRESH_CHECK_S` | `21600` | how often per user to check for a cookie refresh |
| `BILIREC_TRAIN_TIME_CAP_S` | `120` | time cap of one model training |
| `BILIREC_TRAIN_WORKERS` | `1` | training worker processes |
| `BILIREC_HISTORY_CAP` | `1000` | most watch-history records fetched per sync |
| `BILIREC_DIGEST_SPREAD_S` | `0.05` | pause between digests due at the same moment |
| `BILIREC_BILIBILI_TIMEOUT_S` | `10` | timeout of one Bilibili request |
| `BILIREC_ENRICH_CHUNK` | `40` | videos per batch-counts request filling history counts (at most 50) |
| `BILIREC_ENRICH_PACE_S` | `1` | pause between batch-counts requests, plus up to 50% jitter |
| `BILIREC_ENRICH_CAP` | `1000` | most videos whose counts are looked up per sync (0 = off) |
| `BILIREC_BILIBILI_THREADS` | `32` | threads for Bilibili requests (storage and ranking have their own) |
| `BILIREC_BILIBILI_PER_USER` | `2` | most Bilibili requests of one user at once (more wait their turn) |
| `BILIREC_SERVING_CACHE_MB` | `64` | memory budget of the serving cache (users' models and contexts, estimated) |
| `BILIREC_DATABASE_URL` | (see meaning) | `sqlite:///path` (default: the data dir's SQLite file) or `postgresql://user:password@host:5432/db` |
| `BILIREC_BROKER_URL` | (see meaning) | Celery broker (`redis://host:6379/0`) that sends trainings to workers; unset = train in-process |
| `BILIREC_TRAIN_QUEUE` | `bilirec-train` | the Celery queue training tasks go to |
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bilibili.client import RESOURCE_INFOS_MAX

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A missing or malformed environment variable; the message names it (never its value)."""


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


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, its default text (None: required or derived, as the
    meaning says), its meaning, and ``read(name, text)`` -> the field's value (SettingsError
    for a bad text)."""

    name: str
    default: str | None
    meaning: str
    read: Callable[[str, str], Any]


def variable(name: str, default: str | None, meaning: str,
             read: Callable[[str, str], Any]) -> Any:
    """A Settings field read from the environment variable name (see Variable); its default
    value is read from the default text."""
    spec = Variable(name, default, meaning, read)
    return field(default=None if default is None else read(name, default),
                 metadata={"variable": spec})


def _optional(name: str, raw: str) -> str | None:
    return raw or None


def _token(name: str, raw: str) -> str:
    if not raw:
        raise SettingsError(f"{name} is not set: get a token from @BotFather and export "
                            f"{name}=<token>")
    if any(ch.isspace() for ch in raw):
        raise SettingsError(f"{name} must not contain spaces")
    return raw


def _url(name: str, raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must be an http:// or https:// URL")
    return raw.rstrip("/")


def _flag(name: str, raw: str) -> bool:
    if raw not in ("0", "1"):
        raise SettingsError(f"{name} must be 0 or 1")
    return raw == "1"


def _timezone(name: str, raw: str) -> str:
    if not valid_timezone(raw):
        raise SettingsError(f"{name} is not a known time zone: {raw!r}")
    return raw


def _log_level(name: str, raw: str) -> str:
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"{name} must be one of {', '.join(LOG_LEVELS)}")
    return level


def _database_url(name: str, raw: str) -> str | None:
    if raw and not raw.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise SettingsError(f"{name} must start with sqlite:/// or postgresql://")
    return raw or None


def _broker_url(name: str, raw: str) -> str | None:
    if raw and "://" not in raw:
        raise SettingsError(f"{name} must be a URL such as redis://host:6379/0")
    return raw or None


def _number(*, integer: bool = False, allow_zero: bool = False,
            most: int | None = None) -> Callable[[str, str], float | int]:
    """A reader of a positive (or, with allow_zero, non-negative) number, at most most."""
    def read(name: str, raw: str) -> float | int:
        try:
            value = int(raw) if integer else float(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a {'whole ' if integer else ''}number") from None
        if value < 0 or (value == 0 and not allow_zero) or value != value:
            raise SettingsError(f"{name} must be {'>= 0' if allow_zero else '> 0'}")
        if most is not None and value > most:
            raise SettingsError(f"{name} must be <= {most}")
        return value
    return read


@dataclass(frozen=True)
class Settings:
    """Everything the bot needs from its environment. The token is kept out of repr."""

    telegram_bot_token: str = variable(
        "TELEGRAM_BOT_TOKEN", None, "the bot's token from @BotFather (required)", _token)
    telegram_api_url: str = variable(
        "TELEGRAM_API_URL", "https://api.telegram.org/bot", "Bot API base URL (base_url)", _url)
    telegram_file_url: str = variable(
        "TELEGRAM_FILE_URL", None, "Bot API file base URL; derived from TELEGRAM_API_URL",
        _optional)
    bilibili_api_url: str = variable(
        "BILIBILI_API_URL", "https://api.bilibili.com", "Bilibili data API", _url)
    bilibili_passport_url: str = variable(
        "BILIBILI_PASSPORT_URL", "https://passport.bilibili.com", "QR login and cookie refresh",
        _url)
    bilibili_www_url: str = variable(
        "BILIBILI_WWW_URL", "https://www.bilibili.com", "refresh_csrf page of the cookie refresh",
        _url)
    data_dir: Path = variable(
        "BILIREC_DATA_DIR", "./data", "SQLite database, model files, generated key",
        lambda name, raw: Path(raw))
    secret_key: str | None = variable(
        "BILIREC_SECRET_KEY", None, "Fernet key for credentials; generated into the data dir",
        _optional)
    key_reset: bool = variable(
        "BILIREC_KEY_RESET", "0", "1 = drop stored logins the key cannot decrypt (those users "
        "are logged out and asked to /login again); 0 = refuse to start", _flag)
    timezone: str = variable(
        "BILIREC_TIMEZONE", "Asia/Shanghai", "default time zone of digests", _timezone)
    log_level: str = variable("BILIREC_LOG_LEVEL", "INFO", "logging level", _log_level)
    qr_poll_s: float = variable(
        "BILIREC_QR_POLL_S", "2", "seconds between QR login polls", _number())
    qr_timeout_s: float = variable(
        "BILIREC_QR_TIMEOUT_S", "180", "a QR code is given up after this many seconds",
        _number())
    popular_ttl_s: float = variable(
        "BILIREC_POPULAR_TTL_S", "600", "the popular list is fetched at most once per window",
        _number())
    refresh_check_s: float = variable(
        "BILIREC_REFRESH_CHECK_S", "21600", "how often per user to check for a cookie refresh",
        _number(allow_zero=True))
    train_time_cap_s: float = variable(
        "BILIREC_TRAIN_TIME_CAP_S", "120", "time cap of one model training", _number())
    train_workers: int = variable(
        "BILIREC_TRAIN_WORKERS", "1", "training worker processes", _number(integer=True))
    history_cap: int = variable(
        "BILIREC_HISTORY_CAP", "1000", "most watch-history records fetched per sync",
        _number(integer=True))
    digest_spread_s: float = variable(
        "BILIREC_DIGEST_SPREAD_S", "0.05", "pause between digests due at the same moment",
        _number(allow_zero=True))
    bilibili_timeout_s: float = variable(
        "BILIREC_BILIBILI_TIMEOUT_S", "10", "timeout of one Bilibili request", _number())
    enrich_chunk: int = variable(
        "BILIREC_ENRICH_CHUNK", "40", "videos per batch-counts request filling history counts "
        f"(at most {RESOURCE_INFOS_MAX})", _number(integer=True, most=RESOURCE_INFOS_MAX))
    enrich_pace_s: float = variable(
        "BILIREC_ENRICH_PACE_S", "1", "pause between batch-counts requests, plus up to 50% "
        "jitter", _number(allow_zero=True))
    enrich_cap: int = variable(
        "BILIREC_ENRICH_CAP", "1000", "most videos whose counts are looked up per sync "
        "(0 = off)", _number(integer=True, allow_zero=True))
    bilibili_threads: int = variable(
        "BILIREC_BILIBILI_THREADS", "32", "threads for Bilibili requests (storage and ranking "
        "have their own)", _number(integer=True))
    bilibili_per_user: int = variable(
        "BILIREC_BILIBILI_PER_USER", "2", "most Bilibili requests of one user at once (more "
        "wait their turn)", _number(integer=True))
    serving_cache_mb: float = variable(
        "BILIREC_SERVING_CACHE_MB", "64", "memory budget of the serving cache (users' models "
        "and contexts, estimated)", _number(allow_zero=True))
    database_url: str | None = variable(
        "BILIREC_DATABASE_URL", None, "`sqlite:///path` (default: the data dir's SQLite file) "
        "or `postgresql://user:password@host:5432/db`", _database_url)
    broker_url: str | None = variable(
        "BILIREC_BROKER_URL", None, "Celery broker (`redis://host:6379/0`) that sends "
        "trainings to workers; unset = train in-process", _broker_url)
    train_queue: str = variable(
        "BILIREC_TRAIN_QUEUE", "bilirec-train", "the Celery queue training tasks go to",
        _optional)

    def __post_init__(self) -> None:
        if self.telegram_file_url is None:  # beside the Bot API URL unless set
            object.__setattr__(self, "telegram_file_url",
                               derive_file_url(self.telegram_api_url))

    def __repr__(self) -> str:
        return (f"Settings(telegram_api_url={self.telegram_api_url!r}, "
                f"bilibili_api_url={self.bilibili_api_url!r}, data_dir={str(self.data_dir)!r}, "
                f"timezone={self.timezone!r}, token=<redacted>)")

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Read the settings; SettingsError names the first bad or missing variable."""
        env = os.environ if environ is None else environ
        values = {}
        for name, spec in variables().items():
            raw = (env.get(spec.name) or "").strip() or (spec.default or "")
            values[name] = spec.read(spec.name, raw)
        return cls(**values)


def variables() -> dict[str, Variable]:
    """Every setting's environment variable, by field name, in declaration order."""
    return {f.name: f.metadata["variable"] for f in fields(Settings)}


def describe() -> str:
    """A Markdown table of every environment variable with its default and meaning."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for spec in variables().values():
        shown = f"`{spec.default}`" if spec.default is not None else "(see meaning)"
        rows.append(f"| `{spec.name}` | {shown} | {spec.meaning} |")
    return "\n".join(rows)
