"""Telegram 403 pauses the user's digest until they write again; a digest interrupted by
kill -9 delivers each part exactly once after the restart."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.jobs import send_digest
from tests.bot.conftest import FOOD_MID, Chat, bvids, open_storage
from tests.bot.test_erase_owner import rows_holding
from tests.bot.test_faults import _zone_with_time_passed, seed_login
from tests.storage.disk import files_under

USER = 5150
POPULAR_PATH = "/x/web-interface/popular"
ROOT = Path(__file__).resolve().parents[2]


def test_blocked_user_digest_paused_until_they_write(tg, fake, start_bot):
    runner = start_bot()
    chat = Chat(tg, USER)
    chat.ask("/digest 08:00", "08:00")
    tg.block_bot(USER)
    services, bot, storage = runner.services, runner.application.bot, runner.services.storage
    assert runner.call(send_digest(services, bot, USER)) is False
    assert runner.call(lambda: storage.get_digest(USER)).paused
    requests = len(fake.requests)
    assert runner.call(send_digest(services, bot, USER)) is False
    assert len(fake.requests) == requests  # no Bilibili work for a blocked user
    tg.block_bot(USER, False)
    assert "暂停" not in chat.ask("/digest", "08:00").text  # writing again resumes it
    assert not runner.call(lambda: storage.get_digest(USER)).paused
    assert runner.call(send_digest(services, bot, USER)) is True


def test_expired_login_pause_survives_writing(tg, fake, start_bot):
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID)
    chat = Chat(tg, USER)
    chat.ask("/digest 08:00", "08:00")
    fake.expire_session(FOOD_MID)
    chat.ask("/explore", "登录已失效")
    assert "暂停" in chat.ask("/digest", "08:00").text


def test_blocked_user_gets_no_missed_digest_at_restart(tg, fake, start_bot, env):
    zone, earlier = _zone_with_time_passed()
    runner = start_bot()
    chat = Chat(tg, USER)
    chat.ask(f"/digest {earlier} {zone}", earlier)
    tg.block_bot(USER)
    runner.call(send_digest(runner.services, runner.application.bot, USER))
    runner.stop()
    runner = start_bot()
    jobs = runner.call(lambda: runner.application.job_queue.get_jobs_by_name(
        f"digest-missed:{USER}"))
    assert not jobs


def start_process(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, **env})


def test_kill_9_mid_digest_delivers_each_part_once(tg, fake, env):
    zone, earlier = _zone_with_time_passed()
    data_dir = Path(env["BILIREC_DATA_DIR"])
    storage = open_storage(data_dir)
    storage.ensure_user(USER)
    storage.save_credentials(USER, fake.credentials_for(FOOD_MID))
    storage.set_bilibili_account(USER, FOOD_MID, "food")
    storage.set_digest(USER, earlier, zone)
    storage.close()
    tg.add_user(USER)
    # covers Telegram cannot fetch: every part goes as a text message (after a refused photo)
    tg.unreachable_url("https://")
    # the first digest message goes through; the second is held until the process is killed
    tg.slow_next("sendMessage", 0)
    tg.slow_next("sendMessage", 600)
    process = start_process(env)
    try:
        tg.wait_for(lambda _: len(tg.calls_to("sendMessage")) == 2, USER, timeout=60)
        [first] = tg.messages(USER)
        assert "📬" in first.text
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    process = start_process(env)
    try:
        messages = tg.wait_for(lambda msgs: len(msgs) >= 2 and storage_done(data_dir), USER,
                               timeout=60)
    finally:
        process.terminate()
        process.wait()
    digest = [m for m in messages if "📬" in (m.text or "")]
    pushed = [b for m in digest for b in bvids(m)]
    assert len(pushed) == len(set(pushed))            # no video twice
    assert sum("🔥" in m.text for m in digest) == 1    # the hot part once
    assert sum("🧭" in m.text for m in digest) == 1    # the explore part once
    assert len(tg.calls_to("sendMessage")) == 3       # part 2 resent once, part 1 never


def storage_done(data_dir: Path) -> bool:
    """Whether the digest of today is marked sent (read from a stopped bot's database)."""
    storage = open_storage(data_dir)
    try:
        setting = storage.get_digest(USER)
        return setting is not None and setting.last_sent_date is not None
    finally:
        storage.close()


def test_logout_while_a_digest_part_is_on_its_way_leaves_nothing_of_the_user(tg, fake,
                                                                              start_bot, env):
    """The digest stops at the erase: no row (users, sent, impressions) or file comes back."""
    erased = 7300491                                  # distinctive enough to scan tables for
    data_dir = Path(env["BILIREC_DATA_DIR"])
    runner = start_bot()
    seed_login(runner, fake, erased, FOOD_MID)
    chat = Chat(tg, erased)
    chat.ask("/digest 08:00", "08:00")
    tg.unreachable_url("https://")                    # every part a text message
    tg.slow_next("sendMessage", 3)                    # the first part is held at Telegram
    digest = asyncio.run_coroutine_threadsafe(
        send_digest(runner.services, runner.application.bot, erased), runner.loop)
    tg.wait_for(lambda _: any("📬" in c.params.get("text", "")
                              for c in tg.calls_to("sendMessage")), erased)
    chat.log_out()
    sent = digest.result(30)
    assert {table: n for table, n in rows_holding(data_dir, erased).items() if n} == {}
    assert not [path for path in files_under(data_dir) if str(erased) in str(path)]
    digest_parts = [m for m in chat.messages() if "📬" in (m.text or "")]
    assert len(digest_parts) == 1 and sent is False    # nothing more after the erase
