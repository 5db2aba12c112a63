"""The fake Bot API driven by the real python-telegram-bot: Bot calls, a polling Application,
and the validation and faults the bot's end-to-end tests rely on."""
from __future__ import annotations

import asyncio
import io
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from PIL import Image
from telegram import (Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto,
                      Update)
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (ApplicationBuilder, CallbackQueryHandler, CommandHandler,
                          ContextTypes)

from tests.fakes.fake_telegram import (FakeTelegram, HtmlParseError, TelegramHtml, parse_body,
                                       parse_text, utf16_length)

TOKEN = "123456:TEST-token"
USER = 4242


@pytest.fixture
def tg():
    with FakeTelegram(token=TOKEN) as server:
        yield server


def run(coro):
    return asyncio.run(coro)


async def call_bot(tg: FakeTelegram, action, token: str = TOKEN):
    async with Bot(token, base_url=tg.base_url) as bot:
        return await action(bot)


def png(width: int = 120, height: int = 80, colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def raw_post(tg: FakeTelegram, method: str, body: bytes, content_type: str,
             token: str = TOKEN) -> tuple[int, dict]:
    request = urllib.request.Request(f"{tg.base_url}{token}/{method}", data=body,
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d[:10] or "x", callback_data=d)
                                  for d in data]])


# -- transport, auth, routing -------------------------------------------------------------------

def test_get_me_through_ptb(tg):
    me = run(call_bot(tg, lambda bot: bot.get_me()))
    assert me.id == 123456 and me.is_bot and me.username == tg.bot_user["username"]
    assert tg.calls_to("getMe")


def test_wrong_token_is_401_and_ptb_raises_invalid_token(tg):
    status, body = raw_post(tg, "getMe", b"{}", "application/json", token="123456:WRONG")
    assert (status, body) == (401, {"ok": False, "error_code": 401,
                                    "description": "Unauthorized"})
    with pytest.raises(InvalidToken):
        run(call_bot(tg, lambda bot: bot.get_me(), token="123456:WRONG"))


def test_unknown_method_is_404(tg):
    status, body = raw_post(tg, "sendTelepathy", b"{}", "application/json")
    assert (status, body["description"]) == (404, "Not Found")


def test_json_and_form_bodies_with_nested_json_strings(tg):
    tg.send_text(USER, "hi")
    markup = {"inline_keyboard": [[{"text": "ok", "callback_data": "x:1"}]]}
    status, body = raw_post(tg, "sendMessage", json.dumps(
        {"chat_id": USER, "text": "<b>json</b>", "parse_mode": "HTML",
         "reply_markup": markup}).encode(), "application/json")
    assert status == 200 and body["result"]["reply_markup"] == markup
    form = urllib.parse.urlencode({"chat_id": str(USER), "text": "form",
                                   "reply_markup": json.dumps(markup)}).encode()
    status, body = raw_post(tg, "sendMessage", form, "application/x-www-form-urlencoded")
    assert status == 200 and body["result"]["text"] == "form"
    assert [m.callback_data for m in tg.messages(USER)] == [["x:1"], ["x:1"]]
    assert tg.messages(USER)[0].plain_text == "json"


def test_parse_body_multipart_keeps_binary_exactly():
    data = bytes(range(256)) * 3 + b"\r\n--not-the-boundary\r\n"
    body = (b"--BOUND\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n"
            b"--BOUND\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.png\"\r\n"
            b"Content-Type: image/png\r\n\r\n" + data + b"\r\n--BOUND--\r\n")
    values, files = parse_body("multipart/form-data; boundary=BOUND", body)
    assert values == {"chat_id": "42"}
    assert files["photo"].data == data and files["photo"].filename == "a.png"


# -- sending, limits, HTML ----------------------------------------------------------------------

def test_chat_not_found_until_the_user_writes(tg):
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        run(call_bot(tg, lambda bot: bot.send_message(USER, "hello")))
    tg.send_command(USER, "/start")
    sent = run(call_bot(tg, lambda bot: bot.send_message(USER, "hello")))
    assert sent.chat.id == USER and sent.chat.type == "private"
    assert sent.from_user.id == 123456 and sent.message_id == 2  # the user's /start was 1
    [message] = tg.messages(USER)
    assert (message.text, message.parse_mode, message.photo, message.edited) == \
        ("hello", None, None, False)
    assert message.sent_at == pytest.approx(time.time(), abs=30)


@pytest.mark.parametrize("source, error", [
    ("<b>bold", "Can't find end tag corresponding to start tag b"),
    ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
    ("ok</b>", "Unexpected end tag at byte offset 2"),
    ("a < b", 'Unsupported start tag "" at byte offset 2'),
    ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
    ("标题<br>", 'Unsupported start tag "br" at byte offset 6'),
    ("<b", "Unclosed start tag at byte offset 0"),
    ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ("AT&T", 'Unescaped "&" at byte offset 2'),
])
def test_html_rejected_like_telegram(tg, source, error):
    tg.send_text(USER, "hi")
    with pytest.raises(BadRequest) as raised:
        run(call_bot(tg, lambda bot: bot.send_message(USER, source, parse_mode="HTML")))
    assert raised.value.message.lower() == f"can't parse entities: {error}".lower()
    assert tg.messages(USER) == []
    assert tg.calls[-1].status == 400


def test_html_entities_and_utf16_offsets():
    source = ('<b>粗</b> 😀<a href="https://www.bilibili.com/video/BV1?a=1&amp;b=2">t&lt;&gt;'
              '</a> &amp;&quot;&#39;&#x41; <pre><code class="language-py">x</code></pre>'
              '<tg-spoiler>s</tg-spoiler>')
    parsed = parse_text(source, "HTML")
    assert parsed.text == "粗 😀t<> &\"'A xs"
    assert parsed.entities == [
        {"offset": 0, "length": 1, "type": "bold"},
        {"offset": 4, "length": 3, "type": "text_link",
         "url": "https://www.bilibili.com/video/BV1?a=1&b=2"},
        {"offset": 13, "length": 1, "type": "pre", "language": "py"},
        {"offset": 14, "length": 1, "type": "spoiler"},
    ]
    assert TelegramHtml(strict=False).parse("AT&T &nbsp;").text == "AT&T &nbsp;"
    with pytest.raises(HtmlParseError):
        TelegramHtml().parse("&nbsp;")


def test_text_limits(tg):
    tg.send_text(USER, "hi")
    send = lambda text, **kw: run(call_bot(tg, lambda bot: bot.send_message(USER, text, **kw)))
    assert send("a" * 4096).text == "a" * 4096
    assert send("<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML").text == "&" * 4096
    assert utf16_length("😀" * 2048) == 4096 and send("😀" * 2048).text == "😀" * 2048
    for too_long in ("a" * 4097, "😀" * 2049):
        with pytest.raises(BadRequest, match="(?i)message is too long"):
            send(too_long)
    for empty in ("   ", "<b></b>"):
        with pytest.raises(BadRequest, match="(?i)message text is empty"):
            send(empty, parse_mode="HTML")
    assert send("  padded  ").text == "padded"


def test_callback_data_limit(tg):
    tg.send_text(USER, "hi")
    send = lambda markup: run(call_bot(tg, lambda bot: bot.send_message(
        USER, "pick", reply_markup=markup)))
    assert send(keyboard("x" * 64)).reply_markup.inline_keyboard[0][0].callback_data == "x" * 64
    for bad in ("x" * 65, "赞" * 22):  # 66 bytes in UTF-8
        with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
            send(keyboard(bad))
    assert len(tg.messages(USER)) == 1


def test_send_photo_multipart_and_by_file_id(tg):
    tg.send_command(USER, "/login")
    image = png()

    async def scenario(bot: Bot):
        first = await bot.send_photo(USER, image, caption="<b>扫码</b>", parse_mode="HTML",
                                     reply_markup=keyboard("renew"))
        again = await bot.send_photo(USER, first.photo[-1].file_id)
        return first, again

    first, again = run(call_bot(tg, scenario))
    assert (first.photo[-1].width, first.photo[-1].height) == (120, 80)
    assert first.photo[0].width == 90 and first.caption == "扫码"
    call = tg.calls_to("sendPhoto")[0]
    assert call.files["photo"] == image and call.params["photo"]["size"] == len(image)
    one, two = tg.messages(USER)
    assert one.photo == image and two.photo == image
    assert (one.text, one.caption, one.parse_mode) == ("<b>扫码</b>", "<b>扫码</b>", "HTML")
    assert one.callback_data == ["renew"]
    with pytest.raises(BadRequest, match="(?i)image_process_failed"):
        run(call_bot(tg, lambda bot: bot.send_photo(USER, b"not an image")))
    with pytest.raises(BadRequest, match="(?i)wrong file identifier"):
        run(call_bot(tg, lambda bot: bot.send_photo(USER, "AgACunknown")))
    with pytest.raises(BadRequest, match="(?i)message caption is too long"):
        run(call_bot(tg, lambda bot: bot.send_photo(USER, image, caption="c" * 1025)))


COVER = "https://i0.hdslb.com/bfs/archive/0123456789abcdef.jpg"


def test_send_photo_by_url_with_caption_counted_after_entity_parsing(tg):
    tg.send_command(USER, "/hot")
    # 1024 visible characters fit although the HTML source is longer; "🎉" counts 2 (UTF-16)
    caption = '<a href="https://space.bilibili.com/1">' + "名" * 1000 + "</a>" + "🎉" * 12

    sent = run(call_bot(tg, lambda bot: bot.send_photo(USER, COVER, caption=caption,
                                                       parse_mode="HTML")))
    assert sent.caption_entities[0].url == "https://space.bilibili.com/1"
    [message] = tg.messages(USER)
    assert message.photo_url == COVER and message.photo.startswith(b"\x89PNG")
    assert message.caption == caption and utf16_length(message.plain_text) == 1024
    with pytest.raises(BadRequest, match="^Message caption is too long$"):
        run(call_bot(tg, lambda bot: bot.send_photo(USER, COVER, caption=caption + "x",
                                                    parse_mode="HTML")))
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        run(call_bot(tg, lambda bot: bot.send_photo(USER, COVER, caption="<b>x",
                                                    parse_mode="HTML")))
    with pytest.raises(BadRequest, match="(?i)wrong type of the web page content"):
        run(call_bot(tg, lambda bot: bot.send_photo(USER, "https://www.bilibili.com/video/x")))
    tg.unreachable_url("https://i0.hdslb.com/")
    with pytest.raises(BadRequest, match="(?i)failed to get http url content"):
        run(call_bot(tg, lambda bot: bot.send_photo(USER, COVER)))
    assert len(tg.messages(USER)) == 1
    assert tg.calls_to("sendPhoto")[-1].description == \
        "Bad Request: failed to get HTTP URL content"


def test_link_preview_options_are_recorded(tg):
    from telegram import LinkPreviewOptions

    tg.send_command(USER, "/hot")
    options = LinkPreviewOptions(url=COVER, prefer_large_media=True, show_above_text=True)
    run(call_bot(tg, lambda bot: bot.send_message(USER, "list", link_preview_options=options)))
    run(call_bot(tg, lambda bot: bot.send_message(
        USER, "plain", link_preview_options=LinkPreviewOptions(is_disabled=True))))
    run(call_bot(tg, lambda bot: bot.send_message(USER, "default")))
    first, second, third = tg.messages(USER)
    assert first.link_preview == {"url": COVER, "prefer_large_media": True,
                                  "show_above_text": True}
    assert second.link_preview == {"is_disabled": True} and third.link_preview is None
    status, body = raw_post(tg, "sendMessage", json.dumps(
        {"chat_id": USER, "text": "x", "link_preview_options": {"url": 5}}).encode(),
        "application/json")
    assert status == 400 and "link preview options" in body["description"]


# -- edits and deletes --------------------------------------------------------------------------

def test_edits_apply_keep_history_and_refuse_no_ops(tg):
    tg.send_text(USER, "hi")

    async def scenario(bot: Bot):
        text = await bot.send_message(USER, "v1", reply_markup=keyboard("a"))
        await bot.edit_message_text("<i>v2</i>", USER, text.message_id, parse_mode="HTML",
                                    reply_markup=keyboard("a"))
        with pytest.raises(BadRequest, match="(?i)message is not modified"):
            await bot.edit_message_text("<i>v2</i>", USER, text.message_id, parse_mode="HTML",
                                        reply_markup=keyboard("a"))
        await bot.edit_message_reply_markup(USER, text.message_id, reply_markup=keyboard("b"))
        await bot.edit_message_text("v3", USER, text.message_id)  # no markup: keyboard removed
        photo = await bot.send_photo(USER, png(), caption="等待扫码")
        await bot.edit_message_caption(USER, photo.message_id, caption="已扫码")
        await bot.edit_message_media(InputMediaPhoto(png(colour="blue"), caption="新二维码"),
                                     USER, photo.message_id)
        with pytest.raises(BadRequest, match="(?i)there is no text in the message to edit"):
            await bot.edit_message_text("x", USER, photo.message_id)
        with pytest.raises(BadRequest, match="(?i)message to edit not found"):
            await bot.edit_message_text("x", USER, 999)
        with pytest.raises(BadRequest, match="(?i)message can't be edited"):
            await bot.edit_message_text("x", USER, 1)  # the user's own message
        assert await bot.delete_message(USER, text.message_id)
        with pytest.raises(BadRequest, match="(?i)message to delete not found"):
            await bot.delete_message(USER, text.message_id)
        with pytest.raises(BadRequest, match="(?i)message to edit not found"):
            await bot.edit_message_text("gone", USER, text.message_id)
        return text, photo

    text, photo = run(call_bot(tg, scenario))
    edited_text, edited_photo = tg.messages(USER)
    assert edited_text.deleted and edited_text.edited and edited_text.text == "v3"
    assert edited_text.reply_markup is None
    assert [v.text for v in edited_text.history] == ["v1", "<i>v2</i>", "<i>v2</i>"]
    assert [v.reply_markup["inline_keyboard"][0][0]["callback_data"]
            for v in edited_text.history] == ["a", "a", "b"]
    assert edited_photo.text == "新二维码" and edited_photo.photo == png(colour="blue")
    assert [v.text for v in edited_photo.history] == ["等待扫码", "已扫码"]
    assert edited_photo.history[0].photo == png()


def test_reply_markup_edits_of_photos_and_their_errors(tg):
    tg.send_text(USER, "hi")

    async def scenario(bot: Bot):
        photo = await bot.send_photo(USER, png(), caption="<b>列表</b>", parse_mode="HTML",
                                     reply_markup=keyboard("fb:+:BV1"))
        await bot.edit_message_reply_markup(USER, photo.message_id,
                                            reply_markup=keyboard("fb:-:BV1"))
        with pytest.raises(BadRequest, match="(?i)message is not modified"):
            await bot.edit_message_reply_markup(USER, photo.message_id,
                                                reply_markup=keyboard("fb:-:BV1"))
        with pytest.raises(BadRequest, match="(?i)message to edit not found"):
            await bot.edit_message_reply_markup(USER, 999, reply_markup=keyboard("x"))
        with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
            await bot.edit_message_reply_markup(USER, photo.message_id,
                                                reply_markup=keyboard("x" * 65))
        await bot.edit_message_reply_markup(USER, photo.message_id)   # keyboard removed
        return photo

    run(call_bot(tg, scenario))
    [photo] = tg.messages(USER)
    assert photo.photo == png() and photo.text == "<b>列表</b>" and photo.plain_text == "列表"
    assert photo.entities == [{"type": "bold", "offset": 0, "length": 2}]
    assert photo.reply_markup is None and photo.edited
    assert [v.reply_markup["inline_keyboard"][0][0]["callback_data"]
            for v in photo.history] == ["fb:+:BV1", "fb:-:BV1"]


# -- updates, callbacks, long polling -----------------------------------------------------------

def test_application_round_trip_with_command_and_callback(tg):
    async def hot(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        lang = update.effective_user.language_code
        await update.message.reply_html(f"<b>热门</b> {context.args} {lang}",
                                        reply_markup=keyboard("fb:-:BV1", "fb:+:BV1"))

    async def feedback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("已记录 👎")
        await query.edit_message_text(f"{query.message.text} ✓ {query.data}")

    async def scenario() -> None:
        application = (ApplicationBuilder().token(TOKEN).base_url(tg.base_url).build())
        application.add_handler(CommandHandler("hot", hot))
        application.add_handler(CallbackQueryHandler(feedback))
        async with application:
            await application.start()
            await application.updater.start_polling(poll_interval=0, timeout=5)
            tg.send_command(USER, "/hot 5", language_code="en")
            messages = await asyncio.to_thread(
                tg.wait_for, lambda msgs: len(msgs) == 1, USER, 10)
            assert messages[0].text == "<b>热门</b> ['5'] en"
            tg.press_button(USER, messages[0].message_id, "fb:-:BV1")
            await asyncio.to_thread(tg.wait_for, lambda msgs: msgs[0].edited, USER, 10)
            await application.updater.stop()
            await application.stop()

    run(scenario())
    [answer] = tg.callback_answers
    assert (answer.user_id, answer.data, answer.text) == (USER, "fb:-:BV1", "已记录 👎")
    [message] = tg.messages(USER)
    assert message.text == "热门 ['5'] en ✓ fb:-:BV1"
    info = run(call_bot(tg, lambda bot: bot.get_webhook_info()))
    assert info.pending_update_count == 0  # PTB confirmed both updates on stop


def test_press_button_checks_the_button_exists(tg):
    tg.send_text(USER, "hi")
    sent = run(call_bot(tg, lambda bot: bot.send_message(USER, "x", reply_markup=keyboard("a"))))
    with pytest.raises(AssertionError, match="no button"):
        tg.press_button(USER, sent.message_id, "b")
    with pytest.raises(AssertionError, match="no bot message"):
        tg.press_button(USER, 99, "a")
    query_id = tg.press_button(USER, sent.message_id, "a")

    async def scenario(bot: Bot):
        updates = await bot.get_updates()
        assert updates[-1].callback_query.message.text == "x"
        assert await bot.answer_callback_query(query_id)
        with pytest.raises(BadRequest, match="(?i)query is too old"):
            await bot.answer_callback_query(query_id)

    run(call_bot(tg, scenario))
    assert len(tg.callback_answers) == 1


def test_get_updates_offset_and_long_polling(tg):
    first = tg.send_command(USER, "/start", language_code="zh-hans")
    second = tg.send_text(USER, "plain words")

    async def scenario(bot: Bot):
        updates = await bot.get_updates(timeout=5)
        assert [u.update_id for u in updates] == [first, second]
        command = updates[0].message
        assert command.entities[0].type == "bot_command" and command.entities[0].length == 6
        assert command.from_user.language_code == "zh-hans" and not updates[1].message.entities
        assert [u.update_id for u in await bot.get_updates(offset=second)] == [second]
        assert await bot.get_updates(offset=second + 1, timeout=0) == ()

        started = time.monotonic()
        assert await bot.get_updates(offset=second + 1, timeout=0.5) == ()
        waited_empty = time.monotonic() - started

        threading.Timer(0.3, tg.send_text, (USER, "late")).start()
        started = time.monotonic()
        late = await bot.get_updates(offset=second + 1, timeout=20)
        return waited_empty, time.monotonic() - started, late

    waited_empty, waited_late, late = run(call_bot(tg, scenario))
    assert waited_empty >= 0.4  # an empty poll waits for its timeout ...
    assert waited_late < 15  # ... and a queued update ends the wait long before it
    assert [u.message.text for u in late] == ["late"]
    info = run(call_bot(tg, lambda bot: bot.get_webhook_info()))
    assert info.pending_update_count == 1


def test_stop_releases_a_waiting_long_poll():
    tg = FakeTelegram(token=TOKEN).start()
    results: list = []

    def poll() -> None:
        results.append(raw_post(tg, "getUpdates", b'{"timeout": 60}', "application/json"))

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.3)
    tg.stop()
    poller.join(timeout=10)
    assert not poller.is_alive()


def test_delete_webhook_can_drop_pending_updates(tg):
    tg.send_text(USER, "old")
    assert run(call_bot(tg, lambda bot: bot.delete_webhook(drop_pending_updates=True)))
    assert run(call_bot(tg, lambda bot: bot.get_updates(timeout=0))) == ()


# -- faults -------------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_fail_next_429_500_and_slow(tg):
    tg.send_text(USER, "hi")
    tg.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter) as raised:
        run(call_bot(tg, lambda bot: bot.send_message(USER, "x")))
    assert "retry in 3" in str(raised.value).lower()
    assert tg.calls_to("sendMessage")[-1].description == "Too Many Requests: retry after 3"
    tg.fail_next("sendMessage", status=429, retry_after=1)
    status, body = raw_post(tg, "sendMessage", json.dumps({"chat_id": USER, "text": "x"})
                            .encode(), "application/json")
    assert (status, body) == (429, {"ok": False, "error_code": 429,
                                    "description": "Too Many Requests: retry after 1",
                                    "parameters": {"retry_after": 1}})
    tg.fail_next("*", status=500)
    with pytest.raises(NetworkError):
        run(call_bot(tg, lambda bot: bot.send_message(USER, "x")))
    tg.slow_next("sendMessage", 0.5)
    started = time.monotonic()
    run(call_bot(tg, lambda bot: bot.send_message(USER, "slow but delivered")))
    assert time.monotonic() - started >= 0.5
    assert [m.text for m in tg.messages(USER)] == ["slow but delivered"]


def test_blocked_user_gets_403(tg):
    tg.send_text(USER, "hi")
    tg.block_bot(USER)
    with pytest.raises(Exception, match="(?i)bot was blocked by the user"):
        run(call_bot(tg, lambda bot: bot.send_message(USER, "x")))


# -- commands, chat, the driving API -------------------------------------------------------------

def test_commands_and_chat(tg):
    from telegram import BotCommand

    tg.send_text(USER, "hi", first_name="小明")

    async def scenario(bot: Bot):
        await bot.set_my_commands([BotCommand("hot", "热门推荐")])
        await bot.set_my_commands([BotCommand("hot", "hot videos")], language_code="en")
        with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
            await bot.set_my_commands([BotCommand("Bad-Name", "x")])
        english = await bot.get_my_commands(language_code="en")
        chat = await bot.get_chat(USER)
        return english, chat

    english, chat = run(call_bot(tg, scenario))
    assert [(c.command, c.description) for c in english] == [("hot", "hot videos")]
    assert tg.commands() == [{"command": "hot", "description": "热门推荐"}]
    assert chat.first_name == "小明" and chat.type == "private"


def test_wait_for_times_out_with_a_dump(tg):
    tg.send_text(USER, "hi")
    run(call_bot(tg, lambda bot: bot.send_message(USER, "only this")))
    with pytest.raises(AssertionError, match="only this"):
        tg.wait_for(lambda msgs: len(msgs) > 1, USER, timeout=0.3)


def test_concurrent_sends_get_unique_increasing_ids(tg):
    tg.send_text(USER, "hi")

    async def scenario(bot: Bot):
        sent = await asyncio.gather(*(bot.send_message(USER, f"m{i}") for i in range(40)))
        return [m.message_id for m in sent]

    ids = run(call_bot(tg, scenario))
    assert sorted(ids) == list(range(2, 42))
    assert [m.message_id for m in tg.messages(USER)] == list(range(2, 42))


def test_replies_and_expandable_quote(tg):
    tg.send_text(USER, "question")  # message 1

    async def scenario(bot: Bot):
        await bot.send_message(USER, "<blockquote expandable>长</blockquote>", parse_mode="HTML",
                               reply_to_message_id=1)
        with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
            await bot.send_message(USER, "x", reply_to_message_id=77)

    run(call_bot(tg, scenario))
    [message] = tg.messages(USER)
    assert message.entities == [{"offset": 0, "length": 1, "type": "expandable_blockquote"}]


def test_a_request_the_fake_cannot_handle_is_a_printed_500(tg, monkeypatch, capsys):
    def broken(params):
        raise KeyError("boom")

    monkeypatch.setattr(tg, "_api_getme", broken)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        run(call_bot(tg, lambda bot: bot.get_me()))
    assert tg.calls_to("getMe")[-1].status == 500
    assert "KeyError: 'boom'" in capsys.readouterr().err


def test_group_and_channel_updates_have_the_bot_api_shapes(tg):
    tg.add_group(-1001, "friends")
    tg.add_group(-1002, "news", type="channel")
    tg.send_text(USER, "/login@bilirec_test_bot", chat_id=-1001)
    tg.send_channel_post(-1002, "/hot")

    async def go(bot):
        group, channel = await bot.get_updates()
        sent = await bot.send_message(-1001, "hi")
        posted = await bot.send_message(-1002, "hello")
        return group, channel, sent, posted
    group, channel, sent, posted = run(call_bot(tg, go))
    assert group.message.chat.type == "supergroup" and group.message.chat.title == "friends"
    assert group.message.from_user.id == USER
    assert group.message.entities[0].type == "bot_command"
    assert channel.channel_post.sender_chat.id == -1002 and channel.channel_post.from_user is None
    assert channel.effective_chat.type == "channel"
    assert sent.chat.id == -1001 and sent.from_user.is_bot
    assert posted.sender_chat.id == -1002
    assert [m.text for m in tg.messages(-1001)] == ["hi"]
    with pytest.raises(ValueError):
        tg.add_group(5, "positive id")


def test_chat_actions_are_recorded_and_checked_like_telegram(tg):
    tg.send_command(USER, "/start")
    assert run(call_bot(tg, lambda bot: bot.send_chat_action(USER, "typing"))) is True
    with pytest.raises(BadRequest, match="(?i)wrong parameter action in request"):
        run(call_bot(tg, lambda bot: bot.send_chat_action(USER, "dancing")))
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        run(call_bot(tg, lambda bot: bot.send_chat_action(USER + 1, "typing")))
    tg.block_bot(USER)
    with pytest.raises(Forbidden):
        run(call_bot(tg, lambda bot: bot.send_chat_action(USER, "upload_photo")))
    assert [(a.chat_id, a.action) for a in tg.chat_actions] == [(USER, "typing")]


def test_disable_notification_is_recorded(tg):
    tg.send_command(USER, "/start")
    run(call_bot(tg, lambda bot: bot.send_message(USER, "quiet", disable_notification=True)))
    run(call_bot(tg, lambda bot: bot.send_photo(USER, png(), disable_notification=True)))
    run(call_bot(tg, lambda bot: bot.send_message(USER, "loud")))
    assert [m.disable_notification for m in tg.messages(USER)] == [True, True, False]
