"""Progress from the QR confirmation to "model ready": one status message edited through the
stages (throttled, never the same text twice, a failed edit never breaks the sync), /status
shows a running sync, lists come after a typing action and name their ranker."""
from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

import pytest
from telegram.error import BadRequest

from bot.progress import ProgressMessage
from tests.bot.conftest import Chat
from tests.bot.test_faults import seed_login, wait_until
from tests.bot.test_sync_once import SMALL_MID, gate_history, small_account

USER = 7373


class VirtualTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class StubBot:
    """Records edits (virtual time, text); refuses them while ``refuse`` is set."""

    def __init__(self, time: VirtualTime) -> None:
        self.time = time
        self.edits: list[tuple[float, str]] = []
        self.sent: list[str] = []
        self.refuse = False

    async def edit_message_text(self, text, *, chat_id, message_id):
        if self.refuse:
            raise BadRequest("Message to edit not found")
        self.edits.append((self.time.now, text))

    async def send_message(self, chat_id, text):
        self.sent.append(text)
        return SimpleNamespace(message_id=55)


def test_edits_are_throttled_and_never_repeat_a_text():
    time = VirtualTime()
    bot = StubBot(time)

    async def run():
        progress = ProgressMessage(bot, 1, 9, "start", interval=1.0, clock=time.clock,
                                   sleep=time.sleep)
        for step in range(30):
            progress.show(f"step {step // 3}")   # each text three times in a row
            await asyncio.sleep(0)
            progress.show("start" if step == 0 else f"step {step // 3}")
            await asyncio.sleep(0)
        return await progress.finish("done")

    assert asyncio.run(run()) is True
    times = [at for at, _ in bot.edits]
    texts = [text for _, text in bot.edits]
    assert all(later - earlier >= 1.0 for earlier, later in zip(times, times[1:]))
    assert all(a != b for a, b in zip(["start", *texts], texts))
    assert texts[-1] == "done" and len(texts) <= 11


def test_the_first_text_is_sent_when_there_is_no_message_yet():
    time = VirtualTime()
    bot = StubBot(time)

    async def run():
        progress = ProgressMessage(bot, 1, None, None, clock=time.clock, sleep=time.sleep)
        progress.show("header")
        await asyncio.sleep(0)                      # the message is sent at once
        assert await progress.finish("header\nready")
        return progress

    progress = asyncio.run(run())
    assert bot.sent == ["header"] and [t for _, t in bot.edits] == ["header\nready"]
    assert progress.message_id == 55


def test_a_refused_edit_is_logged_and_reported_not_raised(caplog):
    caplog.set_level(logging.INFO)
    time = VirtualTime()
    bot = StubBot(time)
    bot.refuse = True

    async def run():
        progress = ProgressMessage(bot, 1, 9, "start", clock=time.clock, sleep=time.sleep)
        progress.show("step")
        return await progress.finish("done")

    assert asyncio.run(run()) is False
    assert "progress edit of chat 1 refused" in caplog.text


@pytest.mark.parametrize("lang, code, words", [
    ("zh", "zh-hans", ("同步并重新训练", "正在读取观看历史", "数据已同步", "进行中", "状态")),
    ("en", "en", ("Sync and retrain", "Reading your watch history", "Synced (5 records)",
                  "Running now", "Status")),
])
def test_sync_status_message_goes_through_the_stages(tg, fake, start_bot, lang, code, words):
    header, history_stage, outcome, running, status_title = words
    small_account(fake)
    runner = start_bot()
    seed_login(runner, fake, USER, SMALL_MID, lang)
    gate, _ = gate_history(runner)
    chat = Chat(tg, USER, code)
    since = chat.send("/sync")
    chat.wait_any(lambda m: history_stage in (m.text or ""))
    status = chat.ask("/status", running)            # the running sync and its stage
    assert history_stage in status.text
    gate.set()
    [message] = chat.wait_new(since, outcome)
    assert message.text.startswith("🔄") and header in message.text and message.edited
    assert ("你的口味" if lang == "zh" else "Your taste") in message.text  # the taste card
    versions = [v.plain_text for v in message.history] + [message.plain_text]
    assert any(history_stage in v for v in versions)
    assert all(a != b for a, b in zip(versions, versions[1:]))
    assert len([m for m in chat.messages()[since:] if header in (m.text or "")]) == 1
    refused = [c for c in tg.calls_to("editMessageText") if c.status != 200]
    assert refused == []
    wait_until(lambda: not runner.call(lambda: runner.services.sync.busy(USER)))
    assert running not in chat.ask("/status", status_title).text


def test_a_deleted_status_message_gets_the_outcome_as_a_new_message(tg, fake, start_bot):
    small_account(fake)
    runner = start_bot()
    seed_login(runner, fake, USER, SMALL_MID)
    gate, _ = gate_history(runner)
    chat = Chat(tg, USER)
    since = chat.send("/sync")
    [status] = chat.wait_new(since, "正在读取观看历史")
    tg.fail_next("editMessageText", status=400, description="Bad Request: message to edit "
                 "not found", times=50)
    gate.set()
    [outcome] = chat.wait_new(since, "数据已同步")
    assert outcome.message_id != status.message_id and not outcome.edited
    assert "正在读取观看历史" in chat.messages()[since].text  # the status message as it was


def test_lists_come_after_a_typing_action(tg, fake, start_bot):
    start_bot()
    chat = Chat(tg, USER)
    hot = chat.ask("/hot 3", "热门")
    [action] = [a for a in tg.chat_actions if a.chat_id == USER]
    assert action.action == "typing"
    calls = [c.method for c in tg.calls if c.method in ("sendChatAction", "sendPhoto",
                                                        "sendMessage")]
    assert calls[0] == "sendChatAction" and hot.message_id
