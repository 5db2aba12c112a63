"""`python -m bot --check` (the Docker HEALTHCHECK): exit 0 when the bot could start with this
environment, else 1 with a one-line reason that carries no secret."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from storage import Storage, load_or_create_key
from domain import Credentials

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:SECRET-check-token"


def check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {key: value for key, value in os.environ.items()
            if not key.startswith(("TELEGRAM_", "BILIBILI_", "BILIREC_"))}
    base.update({"TELEGRAM_BOT_TOKEN": TOKEN, "BILIREC_DATA_DIR": str(tmp_path / "data")})
    base.update(env)
    return subprocess.run([sys.executable, "-m", "bot", "--check"], cwd=ROOT, env=base,
                          capture_output=True, text=True, timeout=120)


def one_line(result: subprocess.CompletedProcess) -> str:
    output = (result.stdout + result.stderr).strip()
    assert "\n" not in output and "Traceback" not in output, output
    assert TOKEN not in output
    return output


def test_check_passes_and_sets_up_a_fresh_data_dir(tmp_path):
    result = check(tmp_path)
    assert result.returncode == 0, result.stderr
    assert one_line(result).startswith("bilirec: ok")
    assert (tmp_path / "data" / "secret.key").exists()
    assert check(tmp_path).returncode == 0          # and again on the same directory


def test_check_fails_on_missing_token(tmp_path):
    result = check(tmp_path, TELEGRAM_BOT_TOKEN="")
    assert result.returncode == 1
    assert "TELEGRAM_BOT_TOKEN" in one_line(result)


def test_check_fails_when_the_key_cannot_read_the_stored_logins(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    storage = Storage(data, load_or_create_key(data, None, allow_new=True))
    storage.ensure_user(5)
    storage.save_credentials(5, Credentials({"SESSDATA": "s", "DedeUserID": "9"}, "r"))
    storage.close()
    other_key = Fernet.generate_key().decode()
    result = check(tmp_path, BILIREC_SECRET_KEY=other_key)
    assert result.returncode == 1
    line = one_line(result)
    assert "cannot be decrypted" in line and other_key not in line
    assert check(tmp_path, BILIREC_SECRET_KEY=other_key, BILIREC_KEY_RESET="1").returncode == 0


def test_check_fails_when_the_data_dir_is_unusable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = check(tmp_path, BILIREC_DATA_DIR=str(blocker / "data"))
    assert result.returncode == 1
    assert "cannot use the data directory" in one_line(result)


def test_unknown_arguments_are_refused(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot", "--nonsense"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN})
    assert result.returncode == 2 and "usage" in result.stderr
