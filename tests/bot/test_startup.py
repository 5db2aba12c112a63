"""Start-up faults end in one clear line (traceback only at DEBUG, never a secret); an
unreachable Telegram is retried with growing pauses; the data directory is 0700 throughout."""
from __future__ import annotations

import io
import logging
import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

from cryptography.fernet import Fernet

from bot.logsafety import protect_token
from storage import Storage, load_or_create_key

ROOT = Path(__file__).resolve().parents[2]


def run_main(env: dict[str, str], **overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env, **overrides})


def one_line(done: subprocess.CompletedProcess) -> str:
    """The one error line (INFO lines of a normal start may come before it)."""
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and " ERROR " not in done.stderr, done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.startswith("bilirec: ")]
    return line


def test_bad_token_is_one_line_and_never_printed(env):
    bad = "999999:WRONG-secret-token"
    line = one_line(run_main(env, TELEGRAM_BOT_TOKEN=bad))
    assert "rejected TELEGRAM_BOT_TOKEN" in line and bad not in line
    debug = run_main(env, TELEGRAM_BOT_TOKEN=bad, BILIREC_LOG_LEVEL="DEBUG")
    assert debug.returncode == 2 and "rejected TELEGRAM_BOT_TOKEN" in debug.stderr
    assert bad not in debug.stderr and "WRONG-secret" not in debug.stderr


def test_corrupt_database_and_malformed_key_are_one_line(env):
    data_dir = Path(env["BILIREC_DATA_DIR"])
    data_dir.mkdir(parents=True)
    (data_dir / "bilirec.sqlite3").write_bytes(b"this is not a database" * 100)
    assert "cannot open the database" in one_line(run_main(env))
    line = one_line(run_main(env, BILIREC_SECRET_KEY="not-a-fernet-key"))
    assert "BILIREC_SECRET_KEY is not a valid Fernet key" in line
    assert "not-a-fernet-key" not in line


def test_unreachable_telegram_is_retried_with_backoff(env):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=ROOT, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **env, "TELEGRAM_API_URL": f"http://127.0.0.1:{port}/bot"})
    killer = threading.Timer(120, process.kill)  # a safety net only; never reached when fine
    killer.start()
    lines = []
    try:
        for line in process.stderr:
            lines.append(line)
            if sum("Bot API unreachable" in seen for seen in lines) == 3:
                break
        assert process.poll() is None  # still trying, not exited
    finally:
        killer.cancel()
        process.kill()
        process.wait()
    retries = [line for line in lines if "Bot API unreachable" in line]
    assert len(retries) == 3, lines
    for line, pause in zip(retries, ("1", "2", "4")):
        assert f"retrying in {pause} s" in line
    assert not any("Traceback" in line for line in lines)
    assert env["TELEGRAM_BOT_TOKEN"] not in "".join(lines)


def test_token_redacted_from_exception_text():
    token = "424242:EXCEPTION-secret"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        protect_token(token)
        try:
            raise RuntimeError(f"GET https://api.telegram.org/bot{token}/getMe failed")
        except RuntimeError:
            logging.getLogger("some.library").exception("request failed for %s", token)
            logging.getLogger("telegram.ext.Application").exception("again")
    finally:
        root.removeHandler(handler)
    assert "getMe failed" in stream.getvalue() and "<bot-token>" in stream.getvalue()
    assert token not in stream.getvalue()


def test_data_directory_and_subfolders_are_private(tmp_path):
    data_dir = tmp_path / "data"
    old_user = data_dir / "models" / "7"
    old_user.mkdir(parents=True, mode=0o755)
    for path in (data_dir, data_dir / "models", old_user):
        os.chmod(path, 0o755)
    umask = os.umask(0o022)
    try:
        with Storage(data_dir, load_or_create_key(data_dir, Fernet.generate_key())) as storage:
            new_user = storage.model_dir(8)
    finally:
        os.umask(umask)
    for path in (data_dir, data_dir / "models", old_user, new_user):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
