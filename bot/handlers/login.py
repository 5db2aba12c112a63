"""/login: the Bilibili QR code as a photo, polled in a background task, caption kept current.

One login per user at a time (a new /login cancels the old one). On success the credentials are
stored (with refresh_token), the user is greeted by their Bilibili name, and sync + training run
in the background, ending with a "model ready" message.
"""
from __future__ import annotations

import asyncio
import html
import io
import logging
import time

import qrcode
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bilibili import QrState
from bilibili.errors import BilibiliError, BilibiliUnavailable, RiskControl
from bot.handlers.common import fault_text, lang_of, services
from bot.services.accounts import LoginExpired, LoginRequired
from bot.services.container import BotServices
from bot.render import render_serving
from bot.services.sync import SyncAborted
from bot.texts import text
from storage.records import Credentials

logger = logging.getLogger(__name__)
NEW_CODE_DATA = "login:new"
NEW_CODE_PATTERN = rf"^{NEW_CODE_DATA}$"
MAX_POLL_FAULTS = 5


def qr_png(url: str) -> bytes:
    """A PNG of the QR code that encodes url."""
    image = qrcode.make(url, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def login_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/login: start (or restart) the user's QR login."""
    start_login(context, update.effective_user.id, update.effective_chat.id, lang_of(update))


async def new_code_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "new QR code" button under an expired code."""
    await update.callback_query.answer()
    start_login(context, update.effective_user.id, update.effective_chat.id, lang_of(update))


def start_login(context: ContextTypes.DEFAULT_TYPE, tg_id: int, chat_id: int, lang: str) -> None:
    """Run the login flow in the background, cancelling any earlier one of this user."""
    svc = services(context)
    svc.logins.start(tg_id, run_login(svc, context.bot, tg_id, chat_id, lang))


async def _edit_caption(message: Message, caption: str, markup=None) -> None:
    try:
        await message.edit_caption(caption, parse_mode=ParseMode.HTML, reply_markup=markup)
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
        await bot.send_message(chat_id, fault_text(exc, lang), parse_mode=ParseMode.HTML)
        return
    png = await asyncio.to_thread(qr_png, code.url)
    minutes = max(1, round(settings.qr_timeout_s / 60))
    sending = asyncio.ensure_future(bot.send_photo(
        chat_id, png, caption=text(lang, "qr_caption", minutes=minutes), parse_mode=ParseMode.HTML))
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
    storage = svc.storage
    try:
        nav = await svc.calls.run(svc.bilibili.nav, creds, tg_id=tg_id)
        uname, mid = nav.uname, nav.mid or creds.mid
    except BilibiliError as exc:
        logger.info("nav after login of user %s failed: %s", tg_id, exc)
        uname, mid = "", creds.mid
    previous = await asyncio.to_thread(storage.get_user, tg_id)
    if previous is not None and previous.mid and previous.mid != mid:
        # another Bilibili account: nothing of the old one may mix into this one
        svc.sync.cancel(tg_id)
        await asyncio.to_thread(storage.erase_user, tg_id)
        svc.recommender.forget(tg_id)
        svc.lists.forget(tg_id)
    await asyncio.to_thread(storage.ensure_user, tg_id, lang)
    await asyncio.to_thread(storage.set_language, tg_id, lang)
    await asyncio.to_thread(storage.save_credentials, tg_id, creds)
    await asyncio.to_thread(storage.set_bilibili_account, tg_id, mid, uname)
    if await asyncio.to_thread(storage.get_digest, tg_id) is not None:
        await asyncio.to_thread(storage.set_digest_paused, tg_id, False)
    svc.accounts.forget(tg_id)
    logger.info("user %s logged in as Bilibili mid %s", tg_id, mid)
    name = html.escape(uname or str(mid))
    await bot.send_message(chat_id, text(lang, "greeting", name=name), parse_mode=ParseMode.HTML)
    svc.background.spawn(sync_and_report(svc, bot, tg_id, chat_id, lang), name=f"sync:{tg_id}")


async def sync_and_report(svc: BotServices, bot: Bot, tg_id: int, chat_id: int, lang: str) -> None:
    """Sync + train, then tell the user how it went (used by /login and /sync). A user who
    blocked the bot meanwhile (403) gets their digest paused."""
    try:
        message = await _sync_outcome(svc, tg_id, lang)
        if message is not None:
            await bot.send_message(chat_id, message, parse_mode=ParseMode.HTML)
    except Forbidden:
        await svc.digests.pause_blocked(tg_id)


async def _sync_outcome(svc: BotServices, tg_id: int, lang: str) -> str | None:
    """The message that reports a sync (None after a /logout meanwhile)."""
    try:
        result = await svc.sync.sync_and_train(tg_id)
    except SyncAborted:
        return None
    except (LoginRequired, LoginExpired):
        return text(lang, "login_expired")
    except BilibiliError as exc:
        logger.info("sync of user %s failed: %s", tg_id, exc)
        return fault_text(exc, lang)
    if result.accepted:
        return text(lang, "model_ready", records=result.n_records,
                    serving=render_serving(result.metrics, lang))
    reason = (render_serving(result.metrics, lang) if "served_reason" in result.metrics
              else html.escape(result.message or "—"))
    return text(lang, "model_not_ready", records=result.n_records, reason=reason)
