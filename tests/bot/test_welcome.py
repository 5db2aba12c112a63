"""/start welcomes with a "scan to log in" button (the /login flow, private chats only), and
/logout asks first: keep erases nothing, erase goes through the one eraser."""
from __future__ import annotations

import pytest

from tests.bot.conftest import FOOD_MID, Chat
from tests.bot.test_faults import seed_login

USER = 616
GROUP = -1001234500000
BOT = "bilirec_test_bot"
WORDS = {
    "zh": {"welcome": "欢迎使用", "button": "扫码登录", "qr": "扫描二维码", "hello": "你好",
           "back": "欢迎回来", "confirm": "确定要退出", "kept": "什么都没有删除",
           "done": "已退出"},
    "en": {"welcome": "Welcome to BiliRec", "button": "Scan to log in", "qr": "Scan this QR",
           "hello": "Hello", "back": "Welcome back", "confirm": "Log out?",
           "kept": "nothing was erased", "done": "Logged out"},
}
LANGUAGE_CODES = {"zh": "zh-hans", "en": "en"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_start_button_runs_the_login(tg, fake, start_bot, lang):
    runner = start_bot()
    words = WORDS[lang]
    chat = Chat(tg, USER, LANGUAGE_CODES[lang])
    welcome = chat.ask("/start", words["welcome"])
    assert "/help" in welcome.text and "/hot" in welcome.text
    [button] = welcome.buttons
    assert button["text"] == "📱 " + words["button"] and button["callback_data"] == "login:start"

    since = chat.mark()
    tg.press_button(USER, welcome.message_id, "login:start")
    chat.wait_any(lambda m: m.photo is not None and words["qr"] in (m.text or ""))
    assert len(runner.client.qr_codes) == 1
    fake.confirm(fake.last_qrcode_key, FOOD_MID)
    chat.wait_new(since, words["hello"])
    # logged in: /start greets by name, without the login button
    back = chat.ask("/start", words["back"])
    assert back.buttons == []


def test_start_button_in_a_group_leads_to_the_private_chat(tg, fake, start_bot):
    runner = start_bot()
    tg.add_group(GROUP)
    tg.send_text(USER, "/start", chat_id=GROUP)
    [welcome] = tg.wait_for(lambda msgs: len(msgs) >= 1, GROUP)
    tg.press_button(USER, welcome.message_id, "login:start", chat_id=GROUP)
    tg.wait_for(lambda _: len(tg.callback_answers) == 1, USER)
    assert tg.callback_answers[0].url == f"https://t.me/{BOT}?start=login"
    assert runner.client.qr_codes == []
    assert tg.messages(USER) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_logout_asks_first_keep_erases_nothing(tg, fake, start_bot, lang):
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID, lang)
    words = WORDS[lang]
    chat = Chat(tg, USER, LANGUAGE_CODES[lang])
    question = chat.ask("/logout", words["confirm"])
    assert [b["callback_data"] for b in question.buttons] == ["logout:erase", "logout:keep"]
    tg.press_button(USER, question.message_id, "logout:keep")
    kept = chat.wait_any(lambda m: m.message_id == question.message_id
                         and words["kept"] in (m.text or ""))[-1]
    assert kept.edited and kept.buttons == []
    storage = runner.services.storage
    assert runner.call(lambda: storage.load_credentials(USER)) is not None

    done = chat.log_out()
    assert words["done"] in done.text and done.buttons == []
    assert runner.call(lambda: storage.get_user(USER)) is None
    assert fake.count("/login/exit/v2") == 1


def test_an_answered_logout_question_cannot_erase_again(tg, fake, start_bot):
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID)
    chat = Chat(tg, USER)
    question = chat.ask("/logout", "确定要退出")
    tg.press_button(USER, question.message_id, "logout:keep")
    chat.wait_any(lambda m: m.message_id == question.message_id and m.edited)
    # the keyboard is gone; an old client may still send the erase tap
    answers = len(tg.callback_answers)
    tg.press_button(USER, question.message_id, "logout:erase", check=False)
    tg.wait_for(lambda _: len(tg.callback_answers) > answers, USER)
    assert runner.call(lambda: runner.services.storage.load_credentials(USER)) is not None
