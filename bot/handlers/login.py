"""/login: the Bilibili QR code as a photo, polled in a background task, caption kept current.

One login per user at a time (a new /login cancels the old one). On success the credentials are
stored (with refresh_token), the user is greeted by their Bilibili name, and sync + training run
in the background; the greeting is edited through their stages and ends as "model ready".
"""
from __future__ import annotations

import asyncio
import html
import io
import logging
import time

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError

from bilibili import QrState
from bilibili.errors import BilibiliError, BilibiliUnavailable, RiskControl
from bot.context import BotContext
from bot.faults import fault_text
from bot.handlers.common import lang_of
from bot.services.container import BotServices
from bot.sync_report import sync_and_report
from bot.texts import text
from domain import Credentials

logger = logging.getLogger(__name__)
NEW_CODE_DATA = "login:new"
NEW_CODE_PATTERN = rf"^{NEW_CODE_DATA}$"
MAX_POLL_FAULTS = 5


def qr_png(url: str) -> bytes:
    """A PNG of the QR code that encodes url."""
    import qrcode  # with Pillow ~45 ms of imports: paid by the first /login, not the start-up

    image = qrcode.make(url, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def login_command(update: Update, context: BotContext) -> None:
    """/login: start (or restart) the user's QR login."""
    start_login(context, update.effective_user.id, update.effective_chat.id, lang_of(update, context))


async def new_code_button(update: Update, context: BotContext) -> None:
    """The "new QR code" button under an expired code."""
    await update.callback_query.answer()
    start_login(context, update.effective_user.id, update.effective_chat.id, lang_of(update, context))


def start_login(context: BotContext, tg_id: int, chat_id: int, lang: str) -> None:
    """Run the login flow in the background, cancelling any earlier one of this user."""
    svc = context.services
    svc.logins.start(tg_id, run_login(svc, context.bot, tg_id, chat_id, lang))


async def _edit_caption(message: Message, caption: str, markup=None) -> None:
    try:
        await message.edit_caption(caption, reply_markup=markup)
    except BadRequest as exc:  # "message is not modified" and the like
        logger.debug("caption edit refused: %s", exc)
    except TelegramError as exc:
        logger.warning("caption edit failed: %s", exc)


async def run_login(svc: BotServices, bot: Bot, tg_id: int, chat_id: int, lang: str) -> None:
    """The whole login flow of one QR code (see module doc)."""
    settings = svc.settings
    try:
        code = await svc.calls.run(svc.bilibili.qr_generate, tg_id=tg_id)
    except BilibiliError as exc:
        logger.info("QR generate for user %s failed: %s", tg_id, exc)
        await bot.send_message(chat_id, fault_text(exc, lang))
        return
    png = await asyncio.to_thread(qr_png, code.url)
    minutes = max(1, round(settings.qr_timeout_s / 60))
    sending = asyncio.ensure_future(bot.send_photo(
        chat_id, png, caption=text(lang, "qr_caption", minutes=minutes)))
    try:
        message = await asyncio.shield(sending)  # a cancel must not lose track of the photo
        creds = await _poll_until_done(svc, tg_id, code.qrcode_key, message, lang)
    except asyncio.CancelledError:
        # awaiting inside a cancelled task is unreliable: a fresh task says it on the old code
        if not svc.logins.closing:
            svc.background.spawn(_mark_cancelled(sending, lang), name=f"login-cancelled:{tg_id}")
        raise
    if creds is None:
        return
    await _edit_caption(message, text(lang, "qr_confirmed"))
    # a /login arriving now must not cut the storing of this login in half
    await asyncio.shield(_complete_login(svc, bot, tg_id, chat_id, lang, creds))


async def _mark_cancelled(sending: asyncio.Future, lang: str) -> None:
    """Once the QR photo of a cancelled login is sent, say on it that it is void."""
    try:
        message = await sending
    except TelegramError:
        return
    await _edit_caption(message, text(lang, "qr_cancelled"))


async def _poll_until_done(svc: BotServices, tg_id: int, key: str, message: Message,
                           lang: str) -> Credentials | None:
    """Poll until confirmed (credentials), expired, or failing (None)."""
    settings = svc.settings
    deadline = time.monotonic() + settings.qr_timeout_s
    shown = QrState.WAITING
    faults = 0
    while True:
        await asyncio.sleep(settings.qr_poll_s)
        if time.monotonic() >= deadline:
            state, creds = QrState.EXPIRED, None
        else:
            try:
                poll = await svc.calls.run(svc.bilibili.qr_poll, key, tg_id=tg_id)
            except RiskControl as exc:
                logger.info("QR poll for user %s stopped: %s", tg_id, exc)
                await _edit_caption(message, fault_text(exc, lang))
                return None
            except BilibiliError as exc:
                faults += 1
                logger.info("QR poll for user %s failed (%d): %s", tg_id, faults, exc)
                if faults >= MAX_POLL_FAULTS or not isinstance(exc, BilibiliUnavailable):
                    await _edit_caption(message, text(lang, "qr_failed"))
                    return None
                continue
            faults = 0
            state, creds = poll.state, poll.credentials
        if state is QrState.CONFIRMED and creds is not None:
            return creds
        if state is QrState.EXPIRED:
            button = InlineKeyboardButton(text(lang, "qr_new_button"), callback_data=NEW_CODE_DATA)
            await _edit_caption(message, text(lang, "qr_expired"), InlineKeyboardMarkup([[button]]))
            return None
        if state is QrState.SCANNED and shown is not QrState.SCANNED:
            await _edit_caption(message, text(lang, "qr_scanned"))
            shown = state


async def _complete_login(svc: BotServices, bot: Bot, tg_id: int, chat_id: int, lang: str,
                          creds: Credentials) -> None:
    """Store the login, greet the user, start sync + training in the background."""
    name = await svc.users.complete_login(tg_id, lang, creds)
    greeting = text(lang, "greeting", name=html.escape(name))
    message = await bot.send_message(chat_id, greeting)
    svc.background.spawn(sync_and_report(svc, bot, tg_id, chat_id, lang, header=greeting,
                                         message_id=message.message_id), name=f"sync:{tg_id}")
