"""A fake Telegram Bot API for tests: a real HTTP server on 127.0.0.1 that python-telegram-bot
talks to through ``base_url``.

It speaks the Bot API the way PTB uses it (``{base_url}{token}/{method}``, JSON, form-urlencoded
or multipart bodies, ``{"ok": ..., "result"|"error_code"+"description"}`` answers, HTTP status
codes and ``retry_after`` like the real server) and validates what Telegram validates: HTML parse
mode (a port of TDLib's ``parse_html``, same error wording), text/caption limits, callback_data
size, "message is not modified", unknown messages and chats. Tests drive it as the user would:

    with FakeTelegram(token="123:ABC") as tg:
        app = ApplicationBuilder().token(tg.token).base_url(tg.base_url).build()
        tg.send_command(user_id, "/hot 5", language_code="zh-hans")
        msgs = tg.wait_for(lambda msgs: any("热门" in (m.text or "") for m in msgs), user_id)
        tg.press_button(user_id, msgs[-1].message_id, "fb:-:BV1xx411c7mD")

Driving API: send_command / send_text / press_button / add_user / block_bot (the user's side);
messages(chat_id) -> [Message] (text, plain_text, entities, photo bytes, photo_url, link_preview,
disable_notification, parse_mode, reply_markup, sent_at, edited, deleted, history), wait_for,
dump, callback_answers, chat_actions, calls / calls_to, commands (what the bot did); fail_next / slow_next / unreachable_url (faults).
A request the fake cannot handle is answered 500 and its traceback printed (pytest shows it with
the failure).

Choices where Telegram is not fully specified (documented so tests can rely on them):
- Text length is counted in UTF-16 code units of the text after entity parsing and stripping
  (the unit of Telegram's entity offsets; never more lenient than the real server).
- ``strict_html=True`` (default) additionally rejects a raw ``&`` that does not start one of the
  entities Telegram decodes (the Bot API docs require escaping it; the real server tolerates it).
- Message ids are per chat and shared by the user's and the bot's messages, as in private chats.
- A photo sent by HTTP URL is not downloaded (no network): an image URL stores a placeholder
  picture and the URL (``Message.photo_url``); ``unreachable_url`` makes Telegram's download fail.
"""
from __future__ import annotations

import copy
import itertools
import json
import re
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_INLINE_BUTTONS = 100
NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")
STALE_QUERY = "query is too old and response timeout expired or query ID is invalid"
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
CHAT_ACTIONS = ("typing", "upload_photo", "record_video", "upload_video", "record_voice",
                "upload_voice", "upload_document", "choose_sticker", "find_location",
                "record_video_note", "upload_video_note")


def utf16_length(text: str) -> int:
    """Length of text in UTF-16 code units: the unit of Telegram's limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------------------------
# HTML parse mode
# --------------------------------------------------------------------------------------------

class HtmlParseError(ValueError):
    """Telegram's "can't parse entities" error; str() is the text after that prefix."""


@dataclass
class ParsedText:
    """Text after entity parsing, with Bot API MessageEntity dicts (UTF-16 offsets)."""

    text: str
    entities: list[dict]


class TelegramHtml:
    """Telegram's HTML parse mode, ported from TDLib's ``parse_html`` (MessageEntity.cpp).

    Works on UTF-8 bytes like the original, so the "byte offset N" in errors is the real one."""

    ALLOWED_TAGS = frozenset({
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler",
        "tg-emoji", "span", "pre", "code", "blockquote"})
    _SPACES = frozenset(b" \t\r\n\x00\x0b\x0c")
    _NAMED = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}

    def __init__(self, strict: bool = True) -> None:
        self.strict = strict

    def parse(self, source: str) -> ParsedText:
        """Parse HTML source into plain text and entities; raises HtmlParseError."""
        data = source.encode("utf-8")
        size = len(data)

        def at(i: int) -> int:  # TDLib reads the NUL terminator past the end
            return data[i] if i < size else 0

        out = bytearray()
        utf16 = 0
        entities: list[dict] = []
        stack: list[tuple[str, str, int, int]] = []  # tag, argument, utf16 offset, out position
        i = 0
        while i < size:
            c = data[i]
            if c == ord("&"):
                decoded = self._decode_entity(data, i)
                if decoded is not None:
                    char, i = decoded
                    utf16 += utf16_length(char)
                    out += char.encode("utf-8", "surrogatepass")
                    continue
                if self.strict:
                    raise HtmlParseError(f'Unescaped "&" at byte offset {i}')
            if c != ord("<"):
                if c & 0xC0 != 0x80:
                    utf16 += 2 if c >= 0xF0 else 1
                out.append(c)
                i += 1
                continue
            begin = i
            i += 1
            if at(i) != ord("/"):
                i = self._start_tag(data, at, begin, i, stack, utf16, len(out))
            else:
                i = self._end_tag(data, at, begin, i, stack, entities, utf16, out)
            i += 1  # past the closing '>'
        if stack:
            raise HtmlParseError(
                f"Can't find end tag corresponding to start tag {stack[-1][0]}")
        try:
            text = out.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HtmlParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, check "
                "for unmatched surrogate code units") from exc
        entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedText(text, entities)

    def _decode_entity(self, data: bytes, pos: int) -> tuple[str, int] | None:
        """(character, position after the entity) or None when '&' starts no entity."""
        end = pos + 1
        if data[end:end + 1] == b"#":
            end += 1
            hexadecimal = data[end:end + 1] == b"x"
            end += hexadecimal
            digits = b"0123456789abcdefABCDEF" if hexadecimal else b"0123456789"
            start = end
            while end < len(data) and data[end] in digits:
                end += 1
            code = int(data[start:end], 16 if hexadecimal else 10) if end > start else 0
            if code == 0 or code >= 0x10FFFF or end - pos >= 10:
                return None
            char = chr(code)
        else:
            while end < len(data) and chr(data[end]).isascii() and chr(data[end]).isalpha():
                end += 1
            char = self._NAMED.get(data[pos + 1:end])
            if char is None:
                return None
        if data[end:end + 1] == b";":
            end += 1
        return char, end

    def _start_tag(self, data: bytes, at: Callable[[int], int], begin: int, i: int,
                   stack: list, utf16: int, out_pos: int) -> int:
        while at(i) not in self._SPACES and at(i) != ord(">"):
            i += 1
        if at(i) == 0:
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        tag = data[begin + 1:i].decode("utf-8", "replace").lower()
        if tag not in self.ALLOWED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        argument = ""
        while at(i) != ord(">"):
            while at(i) != 0 and at(i) in self._SPACES:
                i += 1
            if at(i) == ord(">"):
                break
            name_begin = i
            while at(i) not in self._SPACES and at(i) not in b"=>":
                i += 1
            name = data[name_begin:i].decode("utf-8", "replace")
            if not name:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
            while at(i) != 0 and at(i) in self._SPACES:
                i += 1
            if at(i) != ord("=") and tag == "blockquote" and name == "expandable":
                argument = "expandable"  # the one attribute Telegram takes without a value
                continue
            if at(i) != ord("="):
                raise HtmlParseError("Expected equal sign in declaration of an attribute of the "
                                     f'tag "{tag}" at byte offset {begin}')
            i += 1
            while at(i) != 0 and at(i) in self._SPACES:
                i += 1
            if at(i) == 0:
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            if at(i) not in (ord("'"), ord('"')):
                token_begin = i
                while chr(at(i)).isascii() and (chr(at(i)).isalnum() or at(i) in b".-"):
                    i += 1
                value = data[token_begin:i].decode("ascii").lower()
                if at(i) not in self._SPACES and at(i) != ord(">"):
                    raise HtmlParseError(
                        f"Unexpected end of name token at byte offset {token_begin}")
            else:
                quote = at(i)
                i += 1
                raw = bytearray()
                while at(i) != quote and at(i) != 0:
                    if at(i) == ord("&"):
                        decoded = self._decode_entity(data, i)
                        if decoded is not None:
                            raw += decoded[0].encode("utf-8", "surrogatepass")
                            i = decoded[1]
                            continue
                    raw.append(at(i))
                    i += 1
                if at(i) == quote:
                    i += 1
                value = raw.decode("utf-8", "replace")
            if at(i) == 0:
                raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
            if tag == "a" and name == "href":
                argument = value
            elif tag == "code" and name == "class" and value.startswith("language-"):
                argument = value[len("language-"):]
            elif tag == "span" and name == "class" and value.startswith("tg-"):
                argument = value[len("tg-"):]
            elif tag == "tg-emoji" and name == "emoji-id":
                argument = value
        if tag == "span" and argument != "spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
        stack.append((tag, argument, utf16, out_pos))
        return i

    def _end_tag(self, data: bytes, at: Callable[[int], int], begin: int, i: int, stack: list,
                 entities: list[dict], utf16: int, out: bytearray) -> int:
        if not stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
        while at(i) not in self._SPACES and at(i) != ord(">"):
            i += 1
        end_name = data[begin + 2:i].decode("utf-8", "replace").lower()
        while at(i) in self._SPACES and at(i) != 0:
            i += 1
        if at(i) != ord(">"):
            raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
        tag, argument, offset, out_pos = stack[-1]
        if end_name and end_name != tag:
            raise HtmlParseError(f'Unmatched end tag at byte offset {begin}, expected "</{tag}>"'
                                 f', found "</{end_name}>"')
        stack.pop()
        if utf16 > offset:
            entity = self._entity(tag, argument, offset, utf16 - offset,
                                  bytes(out[out_pos:]), entities)
            if entity is not None:
                entities.append(entity)
        return i

    @staticmethod
    def _entity(tag: str, argument: str, offset: int, length: int, inner: bytes,
                entities: list[dict]) -> dict | None:
        kinds = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic",
                 "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
                 "u": "underline", "ins": "underline", "tg-spoiler": "spoiler",
                 "span": "spoiler", "blockquote": "blockquote"}
        entity: dict[str, Any] = {"offset": offset, "length": length}
        if tag == "blockquote" and argument == "expandable":
            entity["type"] = "expandable_blockquote"
        elif tag in kinds:
            entity["type"] = kinds[tag]
        elif tag == "tg-emoji":
            if not argument.isdigit() or int(argument) == 0:
                raise HtmlParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=argument)
        elif tag == "a":
            url = argument or inner.decode("utf-8", "replace")
            match = re.fullmatch(r"tg://user\?id=(\d+)", url)
            if match:
                entity.update(type="text_mention", user={
                    "id": int(match.group(1)), "is_bot": False, "first_name": ""})
            elif not url.strip():
                return None
            else:
                entity.update(type="text_link", url=url if "://" in url else "http://" + url)
        elif tag == "pre":
            last = entities[-1] if entities else None
            if last and last["type"] == "code" and last["offset"] == offset \
                    and last["length"] == length and last.get("language"):
                last["type"] = "pre"
                return None
            entity["type"] = "pre"
        else:  # code
            last = entities[-1] if entities else None
            if last and last["type"] == "pre" and last["offset"] == offset \
                    and last["length"] == length and argument:
                last["language"] = argument
                return None
            entity["type"] = "code"
            if argument:
                entity["language"] = argument  # dropped below unless a <pre> wraps it
        return entity


def parse_text(text: str, parse_mode: str | None, *, strict_html: bool = True) -> ParsedText:
    """Text as Telegram stores it: entities parsed (HTML only), surrounding whitespace stripped.

    Raises HtmlParseError for bad HTML; other parse modes are stored verbatim, unparsed."""
    if parse_mode is not None and parse_mode.lower() == "html":
        parsed = TelegramHtml(strict=strict_html).parse(text)
        for entity in parsed.entities:
            if entity["type"] == "code":
                entity.pop("language", None)
    else:
        parsed = ParsedText(text, [])
    stripped_left = parsed.text.lstrip()
    shift = utf16_length(parsed.text) - utf16_length(stripped_left)
    plain = stripped_left.rstrip()
    limit = utf16_length(plain)
    entities = []
    for entity in parsed.entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return ParsedText(plain, entities)


# --------------------------------------------------------------------------------------------
# Records the tests look at
# --------------------------------------------------------------------------------------------

@dataclass
class MessageVersion:
    """One earlier state of a bot message (kept in Message.history on every edit)."""

    text: str | None
    plain_text: str | None
    photo: bytes | None
    parse_mode: str | None
    reply_markup: dict | None
    at: float


@dataclass
class Message:
    """A message the bot sent, as it is now (edits applied). ``text`` is what the bot sent as
    text or caption (HTML source when parse_mode is HTML); ``plain_text`` is what the user sees.
    """

    message_id: int
    chat_id: int
    text: str | None
    plain_text: str | None
    entities: list[dict]
    photo: bytes | None
    parse_mode: str | None
    reply_markup: dict | None
    sent_at: float
    photo_file_id: str | None = None
    photo_size: tuple[int, int] | None = None
    photo_url: str | None = None          # the HTTP URL the photo was sent as, if it was
    link_preview: dict | None = None      # the link_preview_options of a text message
    disable_notification: bool = False    # sent silently (the user gets no sound)
    edited: bool = False
    edited_at: float | None = None
    deleted: bool = False
    deleted_at: float | None = None
    history: list[MessageVersion] = field(default_factory=list)

    @property
    def caption(self) -> str | None:
        """The caption source of a photo message (None for text messages)."""
        return self.text if self.photo is not None else None

    @property
    def buttons(self) -> list[dict]:
        """Every inline keyboard button, row after row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    @property
    def callback_data(self) -> list[str]:
        """callback_data of every inline button that has one."""
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]

    @property
    def links(self) -> list[str]:
        """URLs of the text_link entities (the <a href> targets)."""
        return [e["url"] for e in self.entities if e["type"] == "text_link"]

    def version(self) -> MessageVersion:
        return MessageVersion(self.text, self.plain_text, self.photo, self.parse_mode,
                              copy.deepcopy(self.reply_markup), self.edited_at or self.sent_at)


@dataclass
class CallbackAnswer:
    """One answerCallbackQuery call, with the button press it answered."""

    callback_query_id: str
    user_id: int
    message_id: int
    data: str
    text: str | None
    show_alert: bool
    url: str | None
    at: float


@dataclass
class ChatAction:
    """One successful sendChatAction call (the "typing…" indicator and the like)."""

    chat_id: int
    action: str
    at: float


@dataclass
class ApiCall:
    """One request the bot made: method, decoded params (uploads as {"filename", "size"}),
    uploaded files, and the answer it got."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    at: float
    status: int = 0
    description: str | None = None


class TelegramApiError(Exception):
    """An error answer of the fake server (status, description, optional parameters)."""

    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad_request(description: str) -> TelegramApiError:
    return TelegramApiError(400, f"Bad Request: {description}")


@dataclass
class _Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class _Fault:
    status: int
    retry_after: int
    delay: float
    description: str | None


@dataclass
class _User:
    id: int
    first_name: str
    username: str | None
    language_code: str | None
    blocked_bot: bool = False

    def to_api(self) -> dict:
        user = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat(self) -> dict:
        chat = {"id": self.id, "first_name": self.first_name, "type": "private"}
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass
class _GroupChat:
    """A group, supergroup or channel the bot is a member of (Bot API Chat with a title)."""

    id: int
    type: str
    title: str
    blocked_bot: bool = False  # the bot was removed/kicked: sends get 403

    def chat(self) -> dict:
        return {"id": self.id, "type": self.type, "title": self.title}


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------

class FakeTelegram:
    """The fake Bot API (see the module doc). Thread-safe; use as a context manager."""

    def __init__(self, token: str = "123456:TEST-token", *, bot_username: str = "bilirec_test_bot",
                 bot_first_name: str = "BiliRec", strict_html: bool = True) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user = {"id": self.bot_id, "is_bot": True, "first_name": bot_first_name,
                         "username": bot_username, "can_join_groups": True,
                         "can_read_all_group_messages": False, "supports_inline_queries": False,
                         "can_connect_to_business": False, "has_main_web_app": False}
        self.strict_html = strict_html
        self._cond = threading.Condition(threading.RLock())
        self._users: dict[int, _User] = {}
        self._groups: dict[int, _GroupChat] = {}
        self._bot_messages: dict[int, dict[int, Message]] = {}   # chat -> id -> message
        self._user_messages: dict[int, dict[int, dict]] = {}    # chat -> id -> api message
        self._next_message_id: dict[int, int] = {}
        self._updates: list[dict] = []
        self._next_update_id = 700_000_001
        self._allowed_updates: list[str] | None = None
        self._queries: dict[str, tuple[int, int, str]] = {}   # id -> user, message, data
        self._query_ids = itertools.count(4_300_000_000_000_000_001)
        self._files: dict[str, tuple[bytes, int, int]] = {}    # file_id -> data, width, height
        self._file_urls: dict[str, str] = {}                   # file_id -> the URL it came from
        self._unreachable_urls: list[str] = []                 # URL prefixes Telegram can't get
        self._file_ids = itertools.count(1)
        self._faults: dict[str, list[_Fault]] = {}
        self._commands: dict[tuple[str, str], list[dict]] = {}
        self._descriptions: dict[tuple[str, str], str] = {}
        self._calls: list[ApiCall] = []
        self._answers: list[CallbackAnswer] = []
        self._chat_actions: list[ChatAction] = []
        self._stopping = False
        self._connections: set[socket.socket] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> "FakeTelegram":
        """Bind a free port on 127.0.0.1 and serve in a daemon thread."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="fake-telegram", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release long polls, stop serving, close every open connection."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            with self._cond:
                connections = list(self._connections)
            for conn in connections:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> "FakeTelegram":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """The Bot API base URL for PTB (it appends the token): TELEGRAM_API_URL."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """The file download base URL for PTB (getFile is not served)."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- the user's side ------------------------------------------------------------------------

    def send_text(self, user_id: int, text: str, *, language_code: str | None = "zh-hans",
                  first_name: str | None = None, username: str | None = None,
                  chat_id: int | None = None) -> int:
        """The user writes text to the bot in their private chat (or, with chat_id, in a group
        added with add_group); returns the update_id.

        A leading "/command" gets its bot_command entity, as Telegram's clients send it."""
        with self._cond:
            user = self._user(user_id, language_code, first_name, username)
            chat = user.chat() if chat_id is None else self._group(chat_id, channel=False).chat()
            message = {"message_id": self._new_message_id(chat["id"]), "from": user.to_api(),
                       "chat": chat, "date": int(time.time()), "text": text}
            self._add_command_entity(message, text)
            self._user_messages.setdefault(chat["id"], {})[message["message_id"]] = message
            return self._push_update("message", message)

    def send_channel_post(self, chat_id: int, text: str) -> int:
        """A post in a channel added with add_group(type="channel"): a ``channel_post`` update
        with ``sender_chat`` and no ``from``, as the Bot API sends it; returns the update_id."""
        with self._cond:
            chat = self._group(chat_id, channel=True).chat()
            message = {"message_id": self._new_message_id(chat_id), "sender_chat": chat,
                       "chat": chat, "date": int(time.time()), "text": text}
            self._add_command_entity(message, text)
            self._user_messages.setdefault(chat_id, {})[message["message_id"]] = message
            return self._push_update("channel_post", message)

    def add_group(self, chat_id: int, title: str = "Test group", *,
                  type: str = "supergroup") -> None:  # noqa: A002 - the Bot API field name
        """A group ("group", "supergroup") or "channel" the bot is a member of. Group and
        channel ids are negative, as in the Bot API (supergroups and channels -100…)."""
        if chat_id >= 0 or type not in ("group", "supergroup", "channel"):
            raise ValueError("a group or channel needs a negative id and a group/channel type")
        with self._cond:
            self._groups[chat_id] = _GroupChat(chat_id, type, title)

    def send_command(self, user_id: int, command: str, *, language_code: str | None = "zh-hans",
                     first_name: str | None = None, username: str | None = None) -> int:
        """The user sends a command such as "/hot 5"; returns the update_id."""
        if not command.startswith("/"):
            raise ValueError(f"a command starts with '/': {command!r}")
        return self.send_text(user_id, command, language_code=language_code,
                              first_name=first_name, username=username)

    def press_button(self, user_id: int, message_id: int, callback_data: str, *,
                     check: bool = True, chat_id: int | None = None) -> str:
        """The user taps an inline button of a bot message in their private chat (or in the
        group chat_id); returns the callback query id.

        With check=True the message must exist in that chat and carry that button."""
        chat_id = user_id if chat_id is None else chat_id
        with self._cond:
            user = self._users.get(user_id)
            message = self._bot_messages.get(chat_id, {}).get(message_id)
            if check:
                if user is None or message is None or message.deleted:
                    raise AssertionError(f"no bot message {message_id} in chat {chat_id}")
                if callback_data not in message.callback_data:
                    raise AssertionError(f"message {message_id} has no button {callback_data!r}:"
                                         f" {message.callback_data}")
            user = user or self._user(user_id, None, None, None)
            query_id = str(next(self._query_ids))
            query = {"id": query_id, "from": user.to_api(), "data": callback_data,
                     "chat_instance": str(-(10**18) - user_id)}
            if message is not None and not message.deleted:
                query["message"] = self._message_to_api(message)
            self._queries[query_id] = (user_id, message_id, callback_data)
            self._push_update("callback_query", query)
            return query_id

    def add_user(self, user_id: int, *, language_code: str | None = "zh-hans",
                 first_name: str | None = None, username: str | None = None) -> None:
        """A user who has talked to the bot before (their chat exists) without a new update."""
        with self._cond:
            self._user(user_id, language_code, first_name, username)

    def block_bot(self, user_id: int, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: sends to them get 403."""
        with self._cond:
            self._user(user_id, None, None, None).blocked_bot = blocked

    # -- what the bot did -----------------------------------------------------------------------

    def messages(self, chat_id: int) -> list[Message]:
        """Copies of every message the bot sent to chat_id, oldest first, edits applied
        (deleted ones included, marked ``deleted``)."""
        with self._cond:
            return copy.deepcopy(list(self._bot_messages.get(chat_id, {}).values()))

    def wait_for(self, predicate: Callable[[list[Message]], Any], chat_id: int,
                 timeout: float = 10.0) -> list[Message]:
        """Wait until predicate(messages(chat_id)) is true; returns those messages.

        Raises AssertionError with the chat and the recent API calls on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                messages = self.messages(chat_id)
                if predicate(messages):
                    return messages
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out after {timeout}s waiting in chat {chat_id}\n"
                        + self.dump(chat_id))
                self._cond.wait(min(remaining, 0.5))

    def dump(self, chat_id: int | None = None, calls: int = 15) -> str:
        """A readable account of a chat's messages and the last API calls (for failures)."""
        with self._cond:
            lines = []
            if chat_id is not None:
                lines.append(f"messages in chat {chat_id}:")
                for m in self._bot_messages.get(chat_id, {}).values():
                    flags = "".join(f" [{f}]" for f in ("edited", "deleted") if getattr(m, f))
                    kind = f"photo {len(m.photo)}B, caption " if m.photo is not None else ""
                    lines.append(f"  #{m.message_id}{flags} {kind}{m.text!r} "
                                 f"buttons={m.callback_data}")
            recent = [c for c in self._calls if c.method.lower() != "getupdates"][-calls:]
            lines.append(f"last {len(recent)} API calls (getUpdates left out):")
            for call in recent:
                lines.append(f"  {call.method} -> {call.status} {call.description or ''} "
                             f"{call.params}"[:400])
            return "\n".join(lines)

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        """Every successful answerCallbackQuery call, in order."""
        with self._cond:
            return list(self._answers)

    @property
    def chat_actions(self) -> list[ChatAction]:
        """Every successful sendChatAction call, in order."""
        with self._cond:
            return list(self._chat_actions)

    @property
    def calls(self) -> list[ApiCall]:
        """Every API request received (including failed ones), in order."""
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        """The API requests to one method (case-insensitive)."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def commands(self, language_code: str = "", scope: str = "default") -> list[dict]:
        """The command menu set with setMyCommands for that language and scope type."""
        with self._cond:
            return copy.deepcopy(self._commands.get((scope, language_code), []))

    # -- faults ---------------------------------------------------------------------------------

    def fail_next(self, method: str, status: int = 429, retry_after: int = 1, *,
                  times: int = 1, delay: float = 0.0, description: str | None = None) -> None:
        """The next `times` calls to method ("*" = any but getUpdates) fail with status:
        429 (with retry_after), 500, 400, 403...
        ``delay`` seconds pass before the answer."""
        with self._cond:
            self._faults.setdefault(method.lower(), []).extend(
                _Fault(status, retry_after, delay, description) for _ in range(times))

    def slow_next(self, method: str, delay: float, *, times: int = 1) -> None:
        """The next `times` calls to method succeed, but only after `delay` seconds."""
        with self._cond:
            self._faults.setdefault(method.lower(), []).extend(
                _Fault(200, 0, delay, None) for _ in range(times))

    def unreachable_url(self, prefix: str) -> None:
        """Photo URLs starting with prefix cannot be fetched: sendPhoto answers 400 "failed to
        get HTTP URL content", like Telegram for a URL its servers cannot download."""
        with self._cond:
            self._unreachable_urls.append(prefix)

    # -- internals: users, ids, updates ---------------------------------------------------------

    def _user(self, user_id: int, language_code: str | None, first_name: str | None,
              username: str | None) -> _User:
        user = self._users.get(user_id)
        if user is None:
            user = _User(user_id, first_name or f"User{user_id}", username, language_code)
            self._users[user_id] = user
        else:
            user.language_code = language_code or user.language_code
            user.first_name = first_name or user.first_name
            user.username = username or user.username
        return user

    def _group(self, chat_id: int, *, channel: bool) -> _GroupChat:
        group = self._groups.get(chat_id)
        if group is None or (group.type == "channel") != channel:
            raise AssertionError(f"no {'channel' if channel else 'group'} {chat_id}: add_group it")
        return group

    @staticmethod
    def _add_command_entity(message: dict, text: str) -> None:
        command = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
        if command:
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": utf16_length(command.group(0))}]

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _push_update(self, kind: str, payload: dict) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, kind: payload})
        self._cond.notify_all()
        return update_id

    # -- internals: HTTP dispatch ---------------------------------------------------------------

    def handle(self, path: str, params: dict[str, Any],
               files: dict[str, _Upload]) -> tuple[int, bytes, str]:
        """Answer one request: (status, body, content type)."""
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)", path.split("?", 1)[0])
        if match is None:
            return self._error_body(TelegramApiError(404, "Not Found"))
        token, method = match.groups()
        call = ApiCall(method, _loggable(params, files), {k: f.data for k, f in files.items()},
                       time.time())
        with self._cond:
            self._calls.append(call)
        try:
            if token != self.token:
                raise TelegramApiError(401, "Unauthorized")
            handler = getattr(self, "_api_" + method.lower(), None)
            if handler is None:
                raise TelegramApiError(404, "Not Found")
            fault = self._take_fault(method.lower())
            if fault is not None:
                self._interruptible_sleep(fault.delay)
                if fault.status != 200:
                    return self._fault_body(fault, call)
            result = handler(_Params(params, files))
            body = json.dumps({"ok": True, "result": result}, ensure_ascii=False)
            call.status = 200
            return 200, body.encode("utf-8"), "application/json"
        except TelegramApiError as error:
            call.status, call.description = error.status, error.description
            return self._error_body(error)
        except Exception:  # a request the fake cannot handle: 500, printed for the test's report
            traceback.print_exc()
            error = TelegramApiError(500, "Internal Server Error")
            call.status, call.description = error.status, error.description
            return self._error_body(error)
        finally:
            with self._cond:
                self._cond.notify_all()

    def _take_fault(self, method: str) -> _Fault | None:
        with self._cond:
            for key in (method, "*" if method != "getupdates" else None):
                queue = self._faults.get(key or "")
                if queue:
                    return queue.pop(0)
        return None

    def _fault_body(self, fault: _Fault, call: ApiCall) -> tuple[int, bytes, str]:
        call.status = fault.status
        if fault.status == 429:
            error = TelegramApiError(
                429, fault.description or f"Too Many Requests: retry after {fault.retry_after}",
                {"retry_after": fault.retry_after})
        else:
            default = {500: "Internal Server Error", 400: "Bad Request",
                       403: "Forbidden: bot was blocked by the user"}
            error = TelegramApiError(fault.status, fault.description
                                     or default.get(fault.status, "Internal Server Error"))
        call.description = error.description
        return self._error_body(error)

    @staticmethod
    def _error_body(error: TelegramApiError) -> tuple[int, bytes, str]:
        body: dict[str, Any] = {"ok": False, "error_code": error.status,
                                "description": error.description}
        if error.parameters:
            body["parameters"] = error.parameters
        return error.status, json.dumps(body, ensure_ascii=False).encode(), "application/json"

    def _interruptible_sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with self._cond:
            while not self._stopping and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())

    # -- internals: message building and validation ---------------------------------------------

    def _chat_user(self, params: "_Params") -> _User | _GroupChat:
        """The chat of chat_id: a user's private chat or a group/channel."""
        chat_id = params.get("chat_id")
        if chat_id is None:
            raise _bad_request("chat_id is empty")
        try:
            user = self._users.get(int(chat_id)) or self._groups.get(int(chat_id))
        except (TypeError, ValueError):
            user = None
        if user is None:
            raise _bad_request("chat not found")
        return user

    def _parse(self, text: str, parse_mode: str | None, limit: int, empty_error: str | None,
               too_long: str) -> ParsedText:
        if parse_mode is not None and parse_mode.lower() not in ("html", "markdown",
                                                                 "markdownv2"):
            raise _bad_request(f"unsupported parse_mode {parse_mode!r}")
        try:
            parsed = parse_text(text, parse_mode, strict_html=self.strict_html)
        except HtmlParseError as error:
            raise _bad_request(f"can't parse entities: {error}") from None
        if not parsed.text and empty_error:
            raise _bad_request(empty_error)
        if utf16_length(parsed.text) > limit:
            raise _bad_request(too_long)
        return parsed

    def _parse_text(self, params: "_Params") -> ParsedText:
        text = params.get("text")
        if text is None:
            raise _bad_request("message text is empty")
        return self._parse(str(text), params.get("parse_mode"), MAX_TEXT_LENGTH,
                           "message text is empty", "message is too long")

    def _parse_caption(self, caption: Any, parse_mode: str | None) -> ParsedText:
        return self._parse("" if caption is None else str(caption), parse_mode,
                           MAX_CAPTION_LENGTH, None, "message caption is too long")

    def _reply_markup(self, params: "_Params") -> dict | None:
        markup = params.json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return markup
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request("can't parse inline keyboard button: InlineKeyboardButton "
                               "must be an Object")
        buttons = [button for row in rows for button in row]
        if len(buttons) > MAX_INLINE_BUTTONS:
            raise _bad_request("reply markup is too long")
        for button in buttons:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise _bad_request("can't parse inline keyboard button: Field \"text\" must be "
                                   "of type String")
            actions = set(button) - {"text", "style", "icon_custom_emoji_id"}
            if not actions:
                raise _bad_request("text buttons are unallowed in the inline keyboard")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode()) \
                        <= MAX_CALLBACK_DATA_BYTES:
                    raise _bad_request("BUTTON_DATA_INVALID")
            if "url" in button and not str(button["url"]).strip():
                raise _bad_request("BUTTON_URL_INVALID")
        return markup

    @staticmethod
    def _link_preview(params: "_Params") -> dict | None:
        """The LinkPreviewOptions of a sendMessage (or the old disable_web_page_preview)."""
        options = params.json("link_preview_options")
        if options is None:
            return {"is_disabled": True} if params.bool("disable_web_page_preview") else None
        if not isinstance(options, dict):
            raise _bad_request("can't parse link preview options JSON object")
        for name in ("is_disabled", "prefer_small_media", "prefer_large_media",
                     "show_above_text"):
            if name in options and not isinstance(options[name], bool):
                raise _bad_request(f"can't parse link preview options: field \"{name}\" "
                                   "must be of type Boolean")
        if "url" in options and not isinstance(options["url"], str):
            raise _bad_request("can't parse link preview options: field \"url\" must be of "
                               "type String")
        return options

    def _photo(self, value: Any, files: dict[str, _Upload]) -> tuple[str, bytes, int, int]:
        """(file_id, bytes, width, height) of an uploaded, attached or known photo."""
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://"):])
            if upload is None:
                raise _bad_request("wrong file identifier/HTTP URL specified")
        elif isinstance(value, _Upload):
            upload = value
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            return self._photo_from_url(value)
        else:
            with self._cond:
                known = self._files.get(str(value))
            if value is None or known is None:
                raise _bad_request("wrong file identifier/HTTP URL specified")
            return str(value), *known
        if not upload.data:
            raise _bad_request("file must be non-empty")
        width, height = _image_size(upload.data)
        with self._cond:
            file_id = f"AgACAgIAAxkDAAI{next(self._file_ids):06d}fake"
            self._files[file_id] = self._files[file_id + "_s"] = (upload.data, width, height)
        return file_id, upload.data, width, height

    def _photo_from_url(self, url: str) -> tuple[str, bytes, int, int]:
        """A photo Telegram downloads itself. The fake reaches no network: an image URL (path
        ending .jpg/.jpeg/.png/.webp/.gif) gives a placeholder picture, unless it was made
        unreachable (``unreachable_url``); any other URL is not an image."""
        with self._cond:
            unreachable = any(url.startswith(prefix) for prefix in self._unreachable_urls)
        if unreachable:
            raise _bad_request("failed to get HTTP URL content")
        path = url.split("?", 1)[0].split("#", 1)[0].lower()
        if not path.endswith(_IMAGE_SUFFIXES):
            raise _bad_request("wrong type of the web page content")
        data = _placeholder_image()
        with self._cond:
            file_id = f"AgACAgIAAxkDAAI{next(self._file_ids):06d}fake"
            self._files[file_id] = self._files[file_id + "_s"] = (data, *_PLACEHOLDER_SIZE)
            self._file_urls[file_id] = url
        return file_id, data, *_PLACEHOLDER_SIZE

    def _photo_sizes(self, message: Message) -> list[dict]:
        width, height = message.photo_size or (0, 0)
        sizes = []
        scale = 90 / max(width, height, 1)
        if scale < 1:
            sizes.append({"file_id": message.photo_file_id + "_s",
                          "file_unique_id": "AQAD" + message.photo_file_id[-10:] + "s",
                          "width": max(1, round(width * scale)),
                          "height": max(1, round(height * scale)), "file_size": 1200})
        sizes.append({"file_id": message.photo_file_id,
                      "file_unique_id": "AQAD" + message.photo_file_id[-10:],
                      "width": width, "height": height, "file_size": len(message.photo or b"")})
        return sizes

    def _message_to_api(self, message: Message) -> dict:
        chat = self._users.get(message.chat_id) or self._groups[message.chat_id]
        result: dict[str, Any] = {"message_id": message.message_id, "date": int(message.sent_at),
                                  "chat": chat.chat()}
        if isinstance(chat, _GroupChat) and chat.type == "channel":
            result["sender_chat"] = chat.chat()
        else:
            result["from"] = self.bot_user
        if message.edited:
            result["edit_date"] = int(message.edited_at)
        if message.photo is not None:
            result["photo"] = self._photo_sizes(message)
            if message.plain_text:
                result["caption"] = message.plain_text
                if message.entities:
                    result["caption_entities"] = message.entities
        else:
            result["text"] = message.plain_text
            if message.entities:
                result["entities"] = message.entities
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            result["reply_markup"] = message.reply_markup
        return result

    def _store(self, user: _User, params: "_Params", text: str | None, parsed: ParsedText,
               photo: tuple[str, bytes, int, int] | None, markup: dict | None) -> dict:
        with self._cond:
            if user.blocked_bot:
                raise TelegramApiError(403, "Forbidden: bot was blocked by the user")
            reply = params.json("reply_parameters") or {}
            if params.get("reply_to_message_id") is not None:
                reply = {"message_id": params.int("reply_to_message_id"),
                         "allow_sending_without_reply": params.bool(
                             "allow_sending_without_reply")}
            if reply and not reply.get("allow_sending_without_reply") \
                    and not self._exists(user.id, int(reply.get("message_id", 0))):
                raise _bad_request("message to be replied not found")
            message = Message(
                message_id=self._new_message_id(user.id), chat_id=user.id, text=text,
                plain_text=parsed.text, entities=parsed.entities,
                photo=photo[1] if photo else None, parse_mode=params.get("parse_mode"),
                reply_markup=markup, sent_at=time.time(),
                photo_file_id=photo[0] if photo else None,
                photo_size=(photo[2], photo[3]) if photo else None,
                photo_url=self._file_urls.get(photo[0]) if photo else None,
                link_preview=None if photo else self._link_preview(params),
                disable_notification=params.bool("disable_notification"))
            self._bot_messages.setdefault(user.id, {})[message.message_id] = message
            return self._message_to_api(message)

    def _exists(self, chat_id: int, message_id: int) -> bool:
        bot_message = self._bot_messages.get(chat_id, {}).get(message_id)
        return (bot_message is not None and not bot_message.deleted) \
            or message_id in self._user_messages.get(chat_id, {})

    def _editable(self, params: "_Params") -> Message:
        if params.get("inline_message_id") is not None:
            raise _bad_request("MESSAGE_ID_INVALID")
        user = self._chat_user(params)
        message_id = params.int("message_id")
        message = self._bot_messages.get(user.id, {}).get(message_id)
        if message is None or message.deleted:
            if message_id in self._user_messages.get(user.id, {}):
                raise _bad_request("message can't be edited")
            raise _bad_request("message to edit not found")
        return message

    def _apply_edit(self, message: Message, *, text: str | None, parsed: ParsedText,
                    parse_mode: str | None, markup: dict | None,
                    photo: tuple[str, bytes, int, int] | None) -> dict:
        """Replace the message's content unless nothing changes (then 400 not modified)."""
        new_file_id = photo[0] if photo else message.photo_file_id
        if (parsed.text == message.plain_text and parsed.entities == message.entities
                and markup == message.reply_markup and new_file_id == message.photo_file_id):
            raise _bad_request(NOT_MODIFIED)
        message.history.append(message.version())
        message.text, message.plain_text, message.entities = text, parsed.text, parsed.entities
        message.parse_mode, message.reply_markup = parse_mode, markup
        if photo:
            message.photo_file_id, message.photo = photo[0], photo[1]
            message.photo_size = (photo[2], photo[3])
        message.edited, message.edited_at = True, time.time()
        return self._message_to_api(message)

    # -- API methods (each takes _Params, returns the JSON result or raises) --------------------

    def _api_getme(self, params: "_Params") -> dict:
        return self.bot_user

    def _api_logout(self, params: "_Params") -> bool:
        return True

    def _api_close(self, params: "_Params") -> bool:
        return True

    def _api_deletewebhook(self, params: "_Params") -> bool:
        if params.bool("drop_pending_updates"):
            with self._cond:
                self._updates.clear()
        return True

    def _api_getwebhookinfo(self, params: "_Params") -> dict:
        with self._cond:
            return {"url": "", "has_custom_certificate": False,
                    "pending_update_count": len(self._updates)}

    def _api_getupdates(self, params: "_Params") -> list[dict]:
        offset = params.int("offset", 0)
        limit = min(max(params.int("limit", 100), 1), 100)
        timeout = max(params.float("timeout", 0.0), 0.0)
        allowed = params.json("allowed_updates")
        deadline = time.monotonic() + timeout
        with self._cond:
            if isinstance(allowed, list):
                self._allowed_updates = allowed or None
            if offset < 0:
                del self._updates[:max(len(self._updates) + offset, 0)]
            elif offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if self._allowed_updates:
                self._updates = [u for u in self._updates
                                 if set(u) - {"update_id"} <= set(self._allowed_updates)]
            while True:
                remaining = deadline - time.monotonic()
                if self._updates or remaining <= 0 or self._stopping:
                    return copy.deepcopy(self._updates[:limit])
                self._cond.wait(remaining)

    def _api_setmycommands(self, params: "_Params") -> bool:
        commands = params.json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("commands must be an array of at most 100 BotCommand")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("can't parse BotCommand: object expected")
            if not _COMMAND_NAME.match(str(command.get("command", "")).lower()):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        with self._cond:
            self._commands[self._command_key(params)] = [
                {"command": c["command"].lower(), "description": c["description"]}
                for c in commands]
        return True

    def _api_getmycommands(self, params: "_Params") -> list[dict]:
        with self._cond:
            return copy.deepcopy(self._commands.get(self._command_key(params), []))

    def _api_deletemycommands(self, params: "_Params") -> bool:
        with self._cond:
            self._commands.pop(self._command_key(params), None)
        return True

    @staticmethod
    def _command_key(params: "_Params") -> tuple[str, str]:
        scope = params.json("scope") or {"type": "default"}
        return str(scope.get("type", "default")), str(params.get("language_code") or "")

    def _api_setmydescription(self, params: "_Params") -> bool:
        with self._cond:
            self._descriptions[("description", params.get("language_code") or "")] = \
                str(params.get("description") or "")
        return True

    def _api_setmyshortdescription(self, params: "_Params") -> bool:
        with self._cond:
            self._descriptions[("short_description", params.get("language_code") or "")] = \
                str(params.get("short_description") or "")
        return True

    def _api_sendmessage(self, params: "_Params") -> dict:
        user = self._chat_user(params)
        parsed = self._parse_text(params)
        markup = self._reply_markup(params)
        return self._store(user, params, str(params.get("text")), parsed, None, markup)

    def _api_sendphoto(self, params: "_Params") -> dict:
        user = self._chat_user(params)
        caption = params.get("caption")
        parsed = self._parse_caption(caption, params.get("parse_mode"))
        markup = self._reply_markup(params)
        value = params.files.get("photo") or params.get("photo")
        if value is None:
            raise _bad_request("there is no photo in the request")
        photo = self._photo(value, params.files)
        return self._store(user, params, None if caption is None else str(caption), parsed,
                           photo, markup)

    def _api_editmessagetext(self, params: "_Params") -> dict:
        with self._cond:
            message = self._editable(params)
            if message.photo is not None:
                raise _bad_request("there is no text in the message to edit")
            parsed = self._parse_text(params)
            return self._apply_edit(message, text=str(params.get("text")), parsed=parsed,
                                    parse_mode=params.get("parse_mode"),
                                    markup=self._reply_markup(params), photo=None)

    def _api_editmessagecaption(self, params: "_Params") -> dict:
        with self._cond:
            message = self._editable(params)
            if message.photo is None:
                raise _bad_request("there is no caption in the message to edit")
            caption = params.get("caption")
            parsed = self._parse_caption(caption, params.get("parse_mode"))
            return self._apply_edit(message, text=None if caption is None else str(caption),
                                    parsed=parsed, parse_mode=params.get("parse_mode"),
                                    markup=self._reply_markup(params), photo=None)

    def _api_editmessagemedia(self, params: "_Params") -> dict:
        with self._cond:
            message = self._editable(params)
            if message.photo is None:
                raise _bad_request("there is no media in the message to edit")
            media = params.json("media")
            if not isinstance(media, dict) or media.get("type") != "photo":
                raise _bad_request("can't parse InputMedia: media type must be photo here")
            photo = self._photo(media.get("media"), params.files)
            caption = media.get("caption")
            parsed = self._parse_caption(caption, media.get("parse_mode"))
            return self._apply_edit(message, text=caption, parsed=parsed,
                                    parse_mode=media.get("parse_mode"),
                                    markup=self._reply_markup(params), photo=photo)

    def _api_editmessagereplymarkup(self, params: "_Params") -> dict:
        with self._cond:
            message = self._editable(params)
            current = ParsedText(message.plain_text, message.entities)
            return self._apply_edit(message, text=message.text, parsed=current,
                                    parse_mode=message.parse_mode,
                                    markup=self._reply_markup(params), photo=None)

    def _api_deletemessage(self, params: "_Params") -> bool:
        with self._cond:
            user = self._chat_user(params)
            message_id = params.int("message_id")
            message = self._bot_messages.get(user.id, {}).get(message_id)
            if message is not None and not message.deleted:
                message.deleted, message.deleted_at = True, time.time()
                return True
            if self._user_messages.get(user.id, {}).pop(message_id, None) is not None:
                return True
            raise _bad_request("message to delete not found")

    def _api_answercallbackquery(self, params: "_Params") -> bool:
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        with self._cond:
            query = self._queries.pop(str(params.get("callback_query_id")), None)
            if query is None:
                raise _bad_request(STALE_QUERY)
            user_id, message_id, data = query
            self._answers.append(CallbackAnswer(
                str(params.get("callback_query_id")), user_id, message_id, data,
                None if text is None else str(text), params.bool("show_alert"),
                params.get("url"), time.time()))
        return True

    def _api_sendchataction(self, params: "_Params") -> bool:
        with self._cond:
            user = self._chat_user(params)
            action = params.get("action")
            if action not in CHAT_ACTIONS:
                raise _bad_request("wrong parameter action in request")
            if user.blocked_bot:
                raise TelegramApiError(403, "Forbidden: bot was blocked by the user")
            self._chat_actions.append(ChatAction(user.id, action, time.time()))
        return True

    def _api_getchat(self, params: "_Params") -> dict:
        with self._cond:
            user = self._chat_user(params)
            return {**user.chat(), "accent_color_id": 0, "max_reaction_count": 11,
                    "accepted_gift_types": {"unlimited_gifts": True, "limited_gifts": True,
                                            "unique_gifts": True,
                                            "premium_subscription": True,
                                            "gifts_from_channels": True}}


class _Params:
    """Request parameters of any encoding: JSON values, or strings holding JSON (form bodies)."""

    def __init__(self, values: dict[str, Any], files: dict[str, _Upload]) -> None:
        self.values = values
        self.files = files

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def json(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise _bad_request(f"can't parse {name} JSON object") from None
        return value

    def int(self, name: str, default: int | None = None) -> int:
        value = self.values.get(name, default)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise _bad_request(f"{name} is empty" if value is None
                               else f"wrong {name} specified") from None

    def float(self, name: str, default: float) -> float:
        try:
            return float(self.values.get(name, default))
        except (TypeError, ValueError):
            raise _bad_request(f"wrong {name} specified") from None

    def bool(self, name: str) -> bool:
        value = self.values.get(name)
        return value is True or str(value).lower() in ("true", "1")


def _loggable(params: dict[str, Any], files: dict[str, _Upload]) -> dict[str, Any]:
    logged = dict(params)
    for name, upload in files.items():
        logged[name] = {"filename": upload.filename, "size": len(upload.data)}
    return logged


_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif")
_PLACEHOLDER_SIZE = (320, 200)   # a video cover's 16:10


def _placeholder_image() -> bytes:
    """The picture the fake stores for a photo sent by URL (it downloads nothing)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", _PLACEHOLDER_SIZE, (251, 114, 153)).save(out, format="PNG")
    return out.getvalue()


def _image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG/JPEG/GIF/WebP; 400 IMAGE_PROCESS_FAILED for anything else."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError):
        raise _bad_request("IMAGE_PROCESS_FAILED") from None


def parse_body(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, _Upload]]:
    """Decode a Bot API request body (JSON, form-urlencoded or multipart/form-data)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return {}, {}
    if kind == "application/json":
        values = json.loads(body.decode("utf-8"))
        if not isinstance(values, dict):
            raise ValueError("the JSON body is not an object")
        return values, {}
    if kind == "multipart/form-data":
        match = re.search(r'boundary="?([^";]+)"?', content_type)
        if match is None:
            raise ValueError("multipart body without boundary")
        return _parse_multipart(body, match.group(1).encode())
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)), {}


def _parse_multipart(body: bytes, boundary: bytes) -> tuple[dict[str, Any], dict[str, _Upload]]:
    values: dict[str, Any] = {}
    files: dict[str, _Upload] = {}
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers = head.decode("utf-8", "replace")
        name = re.search(r'name="([^"]*)"', headers)
        if name is None:
            continue
        filename = re.search(r'filename="([^"]*)"', headers)
        ctype = re.search(r"(?im)^content-type:\s*(\S+)", headers)
        if filename is not None:
            files[name.group(1)] = _Upload(filename.group(1),
                                           ctype.group(1) if ctype else "", content)
        else:
            values[name.group(1)] = content.decode("utf-8")
    return values, files


class _Server(ThreadingHTTPServer):
    """One daemon thread per connection; a backlog deep enough for bursts of digests."""

    daemon_threads = True
    request_queue_size = 256


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive handler; ``fake`` is set on the per-server subclass."""

    fake: FakeTelegram
    protocol_version = "HTTP/1.1"
    timeout = 120

    def setup(self) -> None:
        super().setup()
        # answers go out at once: no Nagle/delayed-ACK stall of ~40 ms a request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.fake._cond:
            self.fake._connections.add(self.connection)

    def finish(self) -> None:
        with self.fake._cond:
            self.fake._connections.discard(self.connection)
        super().finish()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            params, files = parse_body(self.headers.get("Content-Type", ""), body)
        except (ValueError, UnicodeDecodeError):
            status, payload, ctype = FakeTelegram._error_body(
                _bad_request("can't parse request body"))
        else:
            status, payload, ctype = self.fake.handle(self.path, params, files)
        self._reply(status, payload, ctype)

    def do_GET(self) -> None:
        query = self.path.split("?", 1)[1] if "?" in self.path else ""
        status, payload, ctype = self.fake.handle(self.path, dict(parse_qsl(query)), {})
        self._reply(status, payload, ctype)

    def _reply(self, status: int, payload: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True  # the client gave up (e.g. a cancelled long poll)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet: the tests read FakeTelegram.calls instead."""
