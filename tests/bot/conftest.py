"""Fixtures for the bot's end-to-end tests: the fakes, accounts with distinct tastes, a runner."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from bot.settings import Settings
from storage import Storage, load_or_create_key
from tests.bot.harness import BotRunner, bot_env, make_client
from tests.fakes.fake_bilibili import FakeBilibili, make_video
from tests.fakes.fake_telegram import FakeTelegram

FOOD_MID, CAT_MID = 1001, 1002
FOOD_ZONE, CAT_ZONE = 0, 4  # make_video(i) is in zone i % 8: 0 = 美食制作, 4 = 野生动物
FEED_START = {FOOD_MID: 7000, CAT_MID: 8000}
BVID = re.compile(r"video/(BV[0-9A-Za-z]{10})")


def taste_history(zone: int, start: int, count: int = 60) -> list:
    """Finished views of videos of one zone, newest first."""
    now = int(time.time())
    return [make_video(start + zone + 8 * k, view_at=now - 3600 * k, progress=-1)
            for k in range(count)]


def feed_of(mid: int) -> list:
    """The homepage feed the fake serves to account mid."""
    return [make_video(FEED_START[mid] + j) for j in range(40)]


@pytest.fixture
def fake():
    with FakeBilibili() as server:
        server.popular = [make_video(5000 + j) for j in range(80)]
        food = taste_history(FOOD_ZONE, 0)
        cats = taste_history(CAT_ZONE, 0)
        server.add_account(FOOD_MID, "美食家<&>", history=food, favourites=food[:5],
                           coins=food[5:8], likes=food[8:12],
                           feed=feed_of(FOOD_MID))
        server.add_account(CAT_MID, "cat lover", history=cats, favourites=cats[:5],
                           coins=cats[5:8], likes=cats[8:12],
                           feed=feed_of(CAT_MID))
        yield server


@pytest.fixture
def tg():
    with FakeTelegram(token="123456:TEST-token") as server:
        yield server


@pytest.fixture
def env(tg, fake, tmp_path):
    return bot_env(tg, fake, tmp_path / "data")


@pytest.fixture
def start_bot(env, fake):
    """start_bot(**env_overrides) -> a running BotRunner; all are stopped at the end."""
    runners: list[BotRunner] = []

    def start(**overrides: str) -> BotRunner:
        merged = {**env, **overrides}
        runner = BotRunner(merged, make_client(fake, Settings.from_env(merged))).start()
        runners.append(runner)
        return runner

    yield start
    for runner in runners:
        runner.stop()


def open_storage(data_dir: Path) -> Storage:
    """A second handle on a (stopped) bot's database."""
    return Storage(data_dir, load_or_create_key(data_dir, None))


class Chat:
    """One Telegram user talking to the bot through FakeTelegram."""

    def __init__(self, tg: FakeTelegram, user_id: int, language_code: str = "zh-hans") -> None:
        self.tg = tg
        self.user_id = user_id
        self.language_code = language_code

    def messages(self):
        return self.tg.messages(self.user_id)

    def mark(self) -> int:
        return len(self.messages())

    def send(self, command: str) -> int:
        """Send a command; returns the message count before it (for wait_new)."""
        since = self.mark()
        self.tg.send_text(self.user_id, command, language_code=self.language_code)
        return since

    def wait_new(self, since: int, needle: str, timeout: float = 20.0, count: int = 1):
        """Wait until `count` messages after index since contain needle; returns them."""
        def found(msgs):
            return sum(needle in (m.text or "") for m in msgs[since:]) >= count
        self.tg.wait_for(found, self.user_id, timeout=timeout)
        return [m for m in self.messages()[since:] if needle in (m.text or "")]

    def ask(self, command: str, needle: str, timeout: float = 20.0):
        """Send a command and wait for the first new message holding needle."""
        return self.wait_new(self.send(command), needle, timeout)[0]

    def log_out(self, timeout: float = 20.0):
        """/logout, then the confirmation's erase button; returns the message once it says
        the user is logged out ("已退出" / "Logged out")."""
        since = self.send("/logout")
        self.tg.wait_for(lambda msgs: any("logout:erase" in str(m.reply_markup)
                                          for m in msgs[since:]), self.user_id, timeout=timeout)
        question = [m for m in self.messages()[since:] if "logout:erase" in str(m.reply_markup)][0]
        self.tg.press_button(self.user_id, question.message_id, "logout:erase")
        done = ("已退出", "Logged out")
        return self.wait_any(lambda m: m.message_id == question.message_id
                             and any(word in (m.text or "") for word in done), timeout)[-1]

    def wait_any(self, predicate, timeout: float = 20.0):
        self.tg.wait_for(lambda msgs: any(predicate(m) for m in msgs), self.user_id,
                         timeout=timeout)
        return [m for m in self.messages() if predicate(m)]


def message_now(chat: Chat, message_id: int):
    """The bot message message_id as it is now (edits applied)."""
    return next(m for m in chat.messages() if m.message_id == message_id)


def press(tg: FakeTelegram, chat: Chat, message_id: int, data: str, *,
          check: bool = True) -> str:
    """Tap a button and wait for the bot's answer; returns the toast."""
    answered = len(tg.callback_answers)
    tg.press_button(chat.user_id, message_id, data, check=check)
    tg.wait_for(lambda _: len(tg.callback_answers) > answered, chat.user_id)
    return tg.callback_answers[answered].text or ""


def press_edit(tg: FakeTelegram, chat: Chat, message, data: str):
    """Tap a button of message; returns the message once it is edited again."""
    edits = len(message.history)
    press(tg, chat, message.message_id, data)
    return chat.wait_any(lambda m: m.message_id == message.message_id
                         and len(m.history) > edits)[-1]


def bvids(message) -> list[str]:
    return BVID.findall(message.text or "")


def buttons(message) -> list[tuple[str, str]]:
    markup = message.reply_markup or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", [])
            for b in row]
