"""`python -m bot` as deployed: with a token it polls TELEGRAM_API_URL and answers; SIGTERM stops
it cleanly."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.bot.harness import bot_env

ROOT = Path(__file__).resolve().parents[2]


def test_python_m_bot_polls_the_configured_api(tg, fake, tmp_path):
    env = {**os.environ, **bot_env(tg, fake, tmp_path / "data")}
    proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        tg.send_command(77, "/start", language_code="en")
        reply = tg.wait_for(lambda msgs: any("/help" in (m.text or "") for m in msgs), 77,
                            timeout=60)
        assert "Bilibili" in reply[-1].text
        assert tg.commands() and tg.commands("en")  # the command menus were set
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert tg.token not in output
    assert (tmp_path / "data" / "secret.key").exists()
