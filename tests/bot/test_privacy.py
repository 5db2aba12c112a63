"""Private data stays private: account commands in groups and channels answer with a note and a
deep link to the private chat; /start <command> runs the command there."""
from __future__ import annotations

import pytest

from bot.handlers import ACCOUNT_HANDLERS
from bot.handlers.privacy import ACCOUNT_COMMANDS
from tests.bot.conftest import CAT_MID, FOOD_MID, Chat, bvids
from tests.bot.test_faults import seed_login

USER, OTHER = 505, 506
GROUP, CHANNEL = -1001234567890, -1009876543210
BOT = "bilirec_test_bot"


def group_messages(tg, chat_id=GROUP):
    return tg.messages(chat_id)


def wait_group(tg, count: int, chat_id=GROUP):
    return tg.wait_for(lambda msgs: len(msgs) >= count, chat_id)


def test_every_account_command_has_a_handler():
    assert tuple(ACCOUNT_HANDLERS) == ACCOUNT_COMMANDS


@pytest.mark.parametrize("command", ["/login", "/status", "/sync", "/logout", "/digest 08:00",
                                     "/explore", f"/login@{BOT}", f"/status@{BOT}"])
def test_account_command_in_a_group_points_to_the_private_chat(tg, fake, start_bot, command):
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID)
    tg.add_group(GROUP, "friends")
    tg.send_text(USER, command, chat_id=GROUP)
    [note] = wait_group(tg, 1)
    name = command.split()[0][1:].split("@")[0]
    assert "私聊" in note.text and note.photo is None
    [button] = note.buttons
    assert button["url"] == f"https://t.me/{BOT}?start={name}"
    # nothing personal anywhere in the group, and nothing happened to the account
    assert "user1001" not in note.text and "状态" not in note.text
    assert runner.client.qr_codes == []
    storage = runner.services.storage
    assert runner.call(lambda: storage.get_user(USER)) is not None
    assert runner.call(lambda: storage.get_digest(USER)) is None
    assert not runner.services.sync.busy(USER)
    assert tg.messages(USER) == []


def test_scan_in_a_group_cannot_link_an_account(tg, fake, start_bot):
    runner = start_bot()
    tg.add_group(GROUP)
    tg.send_text(USER, "/login", chat_id=GROUP)
    wait_group(tg, 1)
    # an old "new QR code" button pressed in a group does not start a login either
    tg.press_button(OTHER, 1, "login:new", check=False, chat_id=GROUP)
    tg.wait_for(lambda _: len(tg.callback_answers) == 1, USER)
    answer = tg.callback_answers[0]
    assert answer.url == f"https://t.me/{BOT}?start=login"
    assert runner.client.qr_codes == [] and fake.last_qrcode_key is None
    assert all(m.photo is None for m in group_messages(tg))
    assert runner.call(lambda: runner.services.storage.load_credentials(USER)) is None


def test_hot_in_a_group_is_the_quality_order_without_buttons(tg, fake, start_bot):
    runner = start_bot()
    seed_login(runner, fake, USER, CAT_MID)
    tg.add_group(GROUP)
    tg.send_text(USER, "/hot 5", chat_id=GROUP)
    [hot] = wait_group(tg, 1)
    assert "质量排序" in hot.text and hot.buttons == []
    assert f"https://t.me/{BOT}?start=hot" in hot.links
    # the same list an anonymous user sees: not ranked from the user's data
    anonymous = Chat(tg, OTHER).ask("/hot 5", "热门")
    assert bvids(hot) == bvids(anonymous)


def test_feedback_button_in_a_group_writes_nothing(tg, fake, start_bot):
    runner = start_bot()
    tg.add_group(GROUP)
    tg.send_text(USER, "/hot 3", chat_id=GROUP)
    [hot] = wait_group(tg, 1)
    tg.press_button(USER, hot.message_id, f"fb:+:{bvids(hot)[0]}", check=False, chat_id=GROUP)
    tg.wait_for(lambda _: len(tg.callback_answers) == 1, USER)
    assert "私聊" in tg.callback_answers[0].text
    assert runner.call(lambda: runner.services.storage.get_user(USER)) is None


def test_command_in_a_channel_points_to_the_private_chat(tg, fake, start_bot):
    runner = start_bot()
    tg.add_group(CHANNEL, "news", type="channel")
    tg.send_channel_post(CHANNEL, "/login")
    [note] = wait_group(tg, 1, CHANNEL)
    assert note.buttons[0]["url"] == f"https://t.me/{BOT}?start=login"
    assert runner.client.qr_codes == []


@pytest.mark.parametrize("param, needle", [("status", "状态"), ("hot", "热门"),
                                           ("digest", "未开启"), ("sync", "需要先登录")])
def test_deep_link_runs_the_command_in_the_private_chat(tg, fake, start_bot, param, needle):
    start_bot()
    chat = Chat(tg, USER)
    chat.ask(f"/start {param}", needle)


def test_deep_link_login_shows_the_qr_in_the_private_chat(tg, fake, start_bot):
    runner = start_bot()
    chat = Chat(tg, USER)
    since = chat.send("/start login")
    chat.wait_any(lambda m: m.photo is not None)
    fake.confirm(fake.last_qrcode_key, FOOD_MID)
    chat.wait_new(since, "你好")
    assert len(runner.client.qr_codes) == 1


def test_plain_start_and_unknown_parameter_show_the_welcome(tg, fake, start_bot):
    start_bot()
    chat = Chat(tg, USER)
    chat.ask("/start", "/help")
    chat.ask("/start whatever", "/help")
