"""A changed or missing credentials key: refuse to start with one line saying what to do, or
with BILIREC_KEY_RESET=1 drop the unreadable logins and tell each user once to /login again."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.app import StartupError, open_storage
from bot.settings import Settings
from storage import Storage, load_or_create_key
from tests.bot.conftest import FOOD_MID, Chat, taste_history
from tests.bot.harness import BotRunner, make_client
from tests.services import postgres_schema  # noqa: F401 - a fixture

USER, OTHER = 5150, 5151
ROOT = Path(__file__).resolve().parents[2]


def seed(data_dir: Path, fake, key: bytes) -> None:
    """Two users with a login, behaviour and a digest, stored under key."""
    with Storage(data_dir, key) as storage:
        for tg_id, lang in ((USER, "zh"), (OTHER, "en")):
            storage.ensure_user(tg_id, lang)
            storage.save_credentials(tg_id, fake.credentials_for(FOOD_MID))
            storage.set_bilibili_account(tg_id, FOOD_MID, "food")
            storage.save_behaviour(tg_id, taste_history(0, 0, 10))
            storage.set_digest(tg_id, "08:00", "Asia/Shanghai")


def run_main(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env})


def test_changed_key_refuses_to_start_with_one_line(env, fake):
    data_dir = Path(env["BILIREC_DATA_DIR"])
    seed(data_dir, fake, load_or_create_key(data_dir, None))
    new_key = Fernet.generate_key().decode()
    settings = Settings.from_env({**env, "BILIREC_SECRET_KEY": new_key})
    with pytest.raises(StartupError) as caught:
        BotRunner({**env, "BILIREC_SECRET_KEY": new_key}, make_client(fake, settings)).start()
    message = str(caught.value)
    assert "2 users" in message and "BILIREC_KEY_RESET=1" in message and "\n" not in message
    done = run_main({**env, "BILIREC_SECRET_KEY": new_key})
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "BILIREC_KEY_RESET=1" in done.stderr  # no INFO
    assert "Traceback" not in done.stderr and new_key not in done.stderr
    assert env["TELEGRAM_BOT_TOKEN"] not in done.stderr


def test_deleted_key_file_is_not_replaced_silently(env, fake):
    data_dir = Path(env["BILIREC_DATA_DIR"])
    seed(data_dir, fake, load_or_create_key(data_dir, None))
    (data_dir / "secret.key").unlink()
    done = run_main(env)
    assert done.returncode == 2 and "missing" in done.stderr
    assert "BILIREC_KEY_RESET=1" in done.stderr and done.stderr.count("\n") == 1
    assert not (data_dir / "secret.key").exists()


def test_key_reset_logs_users_out_keeps_their_data_and_tells_each_once(env, fake, tg,
                                                                       start_bot):
    data_dir = Path(env["BILIREC_DATA_DIR"])
    seed(data_dir, fake, load_or_create_key(data_dir, None))
    (data_dir / "secret.key").unlink()
    for tg_id in (USER, OTHER):
        tg.add_user(tg_id)
    runner = start_bot(BILIREC_KEY_RESET="1")
    zh, en = Chat(tg, USER), Chat(tg, OTHER, language_code="en")
    assert "/login" in zh.wait_new(0, "加密密钥")[0].text
    assert "/login" in en.wait_new(0, "encryption key")[0].text
    storage = runner.services.storage
    for tg_id in (USER, OTHER):
        assert runner.call(lambda: storage.load_credentials(tg_id)) is None
        assert runner.call(lambda: storage.count_behaviour(tg_id)) == 10
        digest = runner.call(lambda: storage.get_digest(tg_id))
        assert digest.time_hhmm == "08:00" and digest.paused
    assert "已失效" in zh.ask("/status", "状态").text
    runner.stop()
    runner = start_bot(BILIREC_KEY_RESET="1")  # a second start tells nobody again
    assert "状态" in zh.ask("/status", "状态").text
    assert len([m for m in zh.messages() if "加密密钥" in (m.text or "")]) == 1
    assert len([m for m in en.messages() if "encryption key" in (m.text or "")]) == 1


def test_unreadable_login_at_run_time_counts_as_expired(tg, fake, start_bot, env):
    runner = start_bot()
    chat = Chat(tg, USER)
    chat.ask("/digest 08:00", "08:00")
    # a login written under another key while the bot runs (a corrupt row behaves the same)
    with Storage(Path(env["BILIREC_DATA_DIR"]), Fernet.generate_key()) as other:
        other.save_credentials(USER, fake.credentials_for(FOOD_MID))
        other.set_bilibili_account(USER, FOOD_MID, "food")
    chat.ask("/explore", "登录已失效")
    assert "已失效" in chat.ask("/status", "状态").text
    chat.ask("/hot 3", "热门")
    chat.ask("/sync", "需要先登录")
    storage = runner.services.storage
    assert runner.call(lambda: storage.load_credentials(USER)) is None
    assert runner.call(lambda: storage.get_digest(USER)).paused
    assert "出了点问题" not in "".join(m.text or "" for m in chat.messages())


def test_deleted_key_file_is_not_replaced_on_postgresql_either(env, fake, postgres_schema):
    env = {**env, "BILIREC_DATABASE_URL": postgres_schema.url}
    data_dir = Path(env["BILIREC_DATA_DIR"])
    key = load_or_create_key(data_dir, None)
    with Storage(data_dir, key, database_url=postgres_schema.url) as storage:
        storage.save_credentials(USER, fake.credentials_for(FOOD_MID))
    (data_dir / "secret.key").unlink()
    with pytest.raises(StartupError, match="missing") as caught:
        open_storage(Settings.from_env(env))
    assert "BILIREC_KEY_RESET=1" in str(caught.value) and "\n" not in str(caught.value)
    assert not (data_dir / "secret.key").exists()       # no new key was made
