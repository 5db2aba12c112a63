"""Settings from the environment, and `python -m bot` without a token."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import bot.settings
from bot.settings import Settings, SettingsError, derive_file_url, describe, variables

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_with_only_a_token():
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": "123:ABC"})
    assert settings.telegram_api_url == "https://api.telegram.org/bot"
    assert settings.telegram_file_url == "https://api.telegram.org/file/bot"
    assert settings.bilibili_api_url == "https://api.bilibili.com"
    assert settings.bilibili_passport_url == "https://passport.bilibili.com"
    assert settings.bilibili_www_url == "https://www.bilibili.com"
    assert settings.data_dir == Path("./data")
    assert settings.secret_key is None
    assert settings.timezone == "Asia/Shanghai"
    assert settings.qr_poll_s == 2.0
    assert settings.database_url is None and settings.broker_url is None   # SQLite, in-process


def test_values_are_read_and_urls_trimmed():
    settings = Settings.from_env({
        "TELEGRAM_BOT_TOKEN": "123:ABC", "TELEGRAM_API_URL": "http://127.0.0.1:9/bot/",
        "BILIBILI_API_URL": "http://127.0.0.1:8/", "BILIREC_DATA_DIR": "/tmp/x",
        "BILIREC_TIMEZONE": "Europe/Berlin", "BILIREC_POPULAR_TTL_S": "30",
        "BILIREC_LOG_LEVEL": "debug"})
    assert settings.telegram_api_url == "http://127.0.0.1:9/bot"
    assert settings.telegram_file_url == "http://127.0.0.1:9/file/bot"
    assert settings.bilibili_api_url == "http://127.0.0.1:8"
    assert settings.popular_ttl_s == 30 and settings.log_level == "DEBUG"


@pytest.mark.parametrize("env, name", [
    ({}, "TELEGRAM_BOT_TOKEN"),
    ({"TELEGRAM_BOT_TOKEN": "  "}, "TELEGRAM_BOT_TOKEN"),
    ({"TELEGRAM_BOT_TOKEN": "1:A", "BILIREC_TIMEZONE": "Mars/Base"}, "BILIREC_TIMEZONE"),
    ({"TELEGRAM_BOT_TOKEN": "1:A", "TELEGRAM_API_URL": "ftp://x"}, "TELEGRAM_API_URL"),
    ({"TELEGRAM_BOT_TOKEN": "1:A", "BILIREC_QR_POLL_S": "fast"}, "BILIREC_QR_POLL_S"),
    ({"TELEGRAM_BOT_TOKEN": "1:A", "BILIREC_QR_POLL_S": "0"}, "BILIREC_QR_POLL_S"),
    ({"TELEGRAM_BOT_TOKEN": "1:A", "BILIREC_LOG_LEVEL": "LOUD"}, "BILIREC_LOG_LEVEL"),
    ({"TELEGRAM_BOT_TOKEN": "1:A", "BILIREC_ENRICH_CHUNK": "51"}, "BILIREC_ENRICH_CHUNK"),
    ({"TELEGRAM_BOT_TOKEN": "1:A", "BILIREC_ENRICH_CHUNK": "0"}, "BILIREC_ENRICH_CHUNK"),
    ({"TELEGRAM_BOT_TOKEN": "1:A", "BILIREC_DATABASE_URL": "mysql://x/y"}, "BILIREC_DATABASE_URL"),
    ({"TELEGRAM_BOT_TOKEN": "1:A", "BILIREC_BROKER_URL": "127.0.0.1:6379"}, "BILIREC_BROKER_URL"),
    ({"TELEGRAM_BOT_TOKEN": "1:A", "BILIREC_ENRICH_PACE_S": "-1"}, "BILIREC_ENRICH_PACE_S"),
    ({"TELEGRAM_BOT_TOKEN": "1:A", "BILIREC_ENRICH_CAP": "1.5"}, "BILIREC_ENRICH_CAP"),
])
def test_bad_settings_name_the_variable(env, name):
    with pytest.raises(SettingsError) as info:
        Settings.from_env(env)
    assert name in str(info.value)


def test_enrichment_settings():
    default = Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:A"})
    assert (default.enrich_chunk, default.enrich_pace_s, default.enrich_cap) == (40, 1.0, 1000)
    tuned = Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:A", "BILIREC_ENRICH_CHUNK": "50",
                               "BILIREC_ENRICH_PACE_S": "0", "BILIREC_ENRICH_CAP": "0"})
    assert (tuned.enrich_chunk, tuned.enrich_pace_s, tuned.enrich_cap) == (50, 0.0, 0)


def test_token_never_in_repr():
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": "123:SECRETTOKEN"})
    assert "SECRETTOKEN" not in repr(settings) and "SECRETTOKEN" not in str(settings)


def test_file_url_derivation():
    assert derive_file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert derive_file_url("http://h:1/custom") == "http://h:1/custom/file/bot"


def test_each_setting_is_declared_once_with_its_variable():
    """Every field names its own variable; the declared defaults are what from_env reads."""
    specs = variables()
    assert list(specs) == [f for f in Settings.__dataclass_fields__]
    names = [spec.name for spec in specs.values()]
    assert len(set(names)) == len(names)
    assert all(spec.meaning for spec in specs.values())
    assert Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:A"}) == Settings(telegram_bot_token="1:A")


def test_describe_the_docstring_and_the_readme_show_the_declared_table():
    table = describe()
    rows = table.splitlines()[2:]
    assert [row.split(" | ")[0] for row in rows] == [f"| `{s.name}`" for s in variables().values()]
    assert table in bot.settings.__doc__
    assert table in (ROOT / "README.md").read_text(encoding="utf-8")


def test_python_m_bot_without_token_exits_2_with_one_line():
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    done = subprocess.run([sys.executable, "-m", "bot"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "Traceback" not in done.stderr
