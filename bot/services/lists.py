"""The ranked /hot and /explore lists of one user.

/hot ranks the shared popular list; /explore ranks the user's own homepage feed (never shared
between users) minus the popular videos. Disliked videos are always excluded (by
``Recommender.rank``; here only from a last good list served again). When Bilibili
faults, /explore serves the user's last good list with its age; /hot serves the stale popular
list with its age (see PopularCache). Every list shown to a user is logged as impressions
(``log_shown``), so training and /status can learn what became of it.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Callable, TYPE_CHECKING

from bilibili import BilibiliClient
from bilibili.errors import BilibiliUnavailable, RiskControl
from bot.services.accounts import Accounts
from bot.services.popular import PopularCache
from storage import Storage
from domain import Video

if TYPE_CHECKING:  # the recommender is passed in; importing it loads numpy/jieba
    from recommender import Recommendation, Recommender

logger = logging.getLogger(__name__)
LAST_GOOD_MAX_USERS = 10_000


@dataclass(frozen=True)
class ListResult:
    """A ranked list; ``age_s`` is set when it is an older list served because of a fault;
    ``ranker`` names what ranked it (see RankedList); ``logged_in`` whether the user has a
    Bilibili login (set by ``hot_for_user``); ``loggable`` is False for a list made before
    the user was known (``log_shown`` then logs nothing)."""

    items: list[Recommendation]
    provisional: bool
    age_s: float | None = None
    ranker: str = ""
    logged_in: bool = True
    loggable: bool = True


class ListService:
    """Builds the ranked lists (see module doc)."""

    def __init__(self, storage: Storage, client: BilibiliClient, recommender: Recommender,
                 accounts: Accounts, popular: PopularCache, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.storage = storage
        self.client = client
        self.recommender = recommender
        self.accounts = accounts
        self.popular = popular
        self._clock = clock
        self._last_good: OrderedDict[int, tuple[float, ListResult]] = OrderedDict()

    def forget(self, tg_id: int) -> None:
        """Drop the user's last good list (after /logout)."""
        self._last_good.pop(tg_id, None)

    async def find_video(self, tg_id: int, bvid: str) -> Video | None:
        """The record of a video recently shown to the user (for feedback), if still known."""
        entry = self._last_good.get(tg_id)
        shown = [item.video for item in entry[1].items] if entry else []
        for video in [*shown, *self.popular.peek()]:
            if video.bvid == bvid:
                return video
        pool = await asyncio.to_thread(self.storage.load_pool, tg_id)
        return next((video for video in pool if video.bvid == bvid), None)

    async def _disliked(self, tg_id: int) -> set[str]:
        """The BV ids the user gave 👎."""
        feedback = await asyncio.to_thread(self.storage.load_feedback, tg_id)
        return {bvid for bvid, value in feedback.items() if value < 0}

    async def record_feedback(self, tg_id: int, bvid: str, value: int) -> bool:
        """Store a 👍 (+1) or 👎 (-1), latest wins; False (nothing written) for a user the bot
        does not know (erased by /logout)."""
        if await asyncio.to_thread(self.storage.get_user, tg_id) is None:
            return False
        video = await self.find_video(tg_id, bvid)
        await asyncio.to_thread(self.storage.add_feedback, tg_id, bvid, value, video)
        logger.info("user %s gave %+d to %s", tg_id, value, bvid)
        return True

    async def list_size(self, tg_id: int, n: int | None) -> int:
        """n, or the user's list size from /settings when n is None."""
        if n is not None:
            return n
        return (await asyncio.to_thread(self.storage.get_settings, tg_id)).list_size

    async def hot_for_user(self, tg_id: int, n: int | None, lang: str) -> ListResult:
        """/hot for a user in their private chat (n None: their list size): ranked for them
        when known (quality order before), ``logged_in`` set. A user seen for the first time
        gets a row, so the list's buttons record for them; that first list is not logged as
        shown."""
        n = await self.list_size(tg_id, n)
        user = await asyncio.to_thread(self.storage.get_user, tg_id)
        logged_in = user is not None and (await self.accounts.stored(tg_id)) is not None
        result = await self.hot(tg_id if user else None, n)
        if user is None:
            await asyncio.to_thread(self.storage.ensure_user, tg_id, lang)
        return replace(result, logged_in=logged_in, loggable=user is not None)

    async def hot(self, tg_id: int | None, n: int, *,
                  exclude: frozenset[str] = frozenset()) -> ListResult:
        """The popular list ranked for the user (quality order when tg_id is None or untrained)."""
        snapshot = await self.popular.get()
        ranked = await asyncio.to_thread(self.recommender.rank, tg_id, list(snapshot.videos), n,
                                         channel="hot", exclude=set(exclude))
        return ListResult(list(ranked.items), ranked.provisional,
                          snapshot.age_s if snapshot.stale else None, ranked.ranker)

    async def explore(self, tg_id: int, n: int | None, *,
                      exclude: frozenset[str] = frozenset(), pages: int = 1) -> ListResult:
        """The user's feed ranked for them (n None: their list size); LoginRequired /
        LoginExpired without a login.

        One feed page (30 videos) answers most requests; when filtering leaves fewer than n,
        one more page is fetched (Bilibili's feed gives fresh videos on every call)."""
        n = await self.list_size(tg_id, n)
        try:
            feed = await self._feed(tg_id, pages)
            skip = set(exclude)
            ranked = await self._rank_feed(tg_id, feed, n, skip)
            if len(ranked.items) < n:
                known = {video.bvid for video in feed}
                feed += [video for video in await self._feed(tg_id, 1)
                         if video.bvid not in known]
                ranked = await self._rank_feed(tg_id, feed, n, skip)
        except (RiskControl, BilibiliUnavailable):
            stale = await self._last_good_list(tg_id, n, exclude)
            if stale is None:
                raise
            return stale
        await asyncio.to_thread(self.storage.save_pool, tg_id, "feed", feed)
        result = ListResult(list(ranked.items), ranked.provisional, ranker=ranked.ranker)
        self._remember(tg_id, result)
        return result

    async def log_shown(self, tg_id: int, channel: str, result: ListResult) -> None:
        """Log a list the user was shown on a channel ("hot", "explore", "digest"), unless
        it is not ``loggable``."""
        if not result.loggable:
            return
        await asyncio.to_thread(self.storage.record_impressions, tg_id, channel, result.ranker,
                                [(item.video, item.score) for item in result.items])

    async def _feed(self, tg_id: int, pages: int) -> list[Video]:
        return await self.accounts.call(tg_id, lambda creds: self.client.feed(creds, pages=pages))

    async def _rank_feed(self, tg_id: int, feed: list[Video], n: int, skip: set[str]):
        popular = {video.bvid for video in self.popular.peek()}
        candidates = [video for video in feed if video.bvid not in popular] or feed
        return await asyncio.to_thread(self.recommender.rank, tg_id, candidates, n,
                                       channel="explore", exclude=skip)

    def _remember(self, tg_id: int, result: ListResult) -> None:
        self._last_good[tg_id] = (self._clock(), result)
        self._last_good.move_to_end(tg_id)
        while len(self._last_good) > LAST_GOOD_MAX_USERS:
            self._last_good.popitem(last=False)

    async def _last_good_list(self, tg_id: int, n: int,
                              exclude: frozenset[str]) -> ListResult | None:
        entry = self._last_good.get(tg_id)
        if entry is None:
            return None
        made_at, result = entry
        skip = set(exclude) | await self._disliked(tg_id)
        items = [item for item in result.items if item.video.bvid not in skip][:n]
        return replace(result, items=items, age_s=self._clock() - made_at)
