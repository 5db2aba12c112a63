"""/taste: the zone-share chart (PNG) as a photo with the taste card as its caption."""
from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot.charts import zone_share_chart
from bot.context import BotContext
from bot.faults import SERVICE_ERRORS, fault_text
from bot.handlers.common import lang_of, reply
from bot.render import CAPTION_LIMIT, render_serving, render_taste, visible_length

logger = logging.getLogger(__name__)


async def taste_command(update: Update, context: BotContext) -> None:
    """The user's taste: chart + card naming the ranker that serves them; without records,
    what to do first."""
    lang, chat_id = lang_of(update, context), update.effective_chat.id
    try:
        report = await context.services.tastes.report(update.effective_user.id)
    except SERVICE_ERRORS as exc:
        logger.info("/taste in chat %s failed: %s %s", chat_id, type(exc).__name__, exc)
        await reply(update, fault_text(exc, lang))
        return
    card = render_taste(report.taste, lang, render_serving(report.serving, lang))
    if not report.taste.records:
        await reply(update, card)
        return
    try:
        await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
    except TelegramError as exc:
        logger.info("upload indicator not shown in chat %s: %s", chat_id, exc)
    chart = await asyncio.to_thread(zone_share_chart, report.taste, lang)
    if visible_length(card) <= CAPTION_LIMIT:
        await update.effective_chat.send_photo(chart, caption=card)
    else:  # a card too long for a caption follows the chart
        await update.effective_chat.send_photo(chart)
        await reply(update, card)
