"""A user's taste (``recommender.taste.compute_taste``) for the taste card of /status, the
"model ready" message and /taste: their behaviour records against the popular list, with the
hit rate of the lists shown in the last days and what serves them."""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, TYPE_CHECKING

from bilibili.errors import BilibiliError
from bot.services.popular import PopularCache
from storage import Storage

if TYPE_CHECKING:  # the recommender is passed in; importing it loads numpy/jieba
    from recommender import Recommender
    from recommender.taste import Taste

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TasteReport:
    """The user's taste and what serves them (``Recommender.serving_summary``)."""

    taste: Taste
    serving: dict[str, Any]


class Tastes:
    """Computes taste reports (see module doc)."""

    def __init__(self, storage: Storage, popular: PopularCache, recommender: Recommender) -> None:
        self.storage = storage
        self.popular = popular
        self.recommender = recommender

    async def taste(self, tg_id: int) -> Taste:
        """The user's taste now (records 0 for a user without data); an unreachable
        Bilibili only costs the comparison with the popular list."""
        try:
            popular = (await self.popular.get()).videos
        except BilibiliError as exc:
            logger.info("taste of user %s without the popular list: %s", tg_id, exc)
            popular = self.popular.peek()
        return await asyncio.to_thread(self._compute, tg_id, list(popular), time.time())

    def _compute(self, tg_id: int, popular: list, now: float) -> Taste:
        from recommender.taste import HIT_DAYS, compute_taste  # loads jieba via the package

        return compute_taste(self.storage.load_behaviour(tg_id), popular,
                             impressions=self.storage.load_impressions(
                                 tg_id, since=now - HIT_DAYS * 86400),
                             feedback=self.storage.feedback_videos(tg_id), now=now)

    async def report(self, tg_id: int) -> TasteReport:
        """The taste and what serves the user (for /taste)."""
        taste = await self.taste(tg_id)
        serving = await asyncio.to_thread(self.recommender.serving_summary, tg_id)
        return TasteReport(taste, serving)
