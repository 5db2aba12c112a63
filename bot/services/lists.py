"""The ranked /hot and /explore lists of one user.

/hot ranks the shared popular list; /explore ranks the user's own homepage feed (never shared
between users) minus the popular videos. Disliked videos are always excluded (by
``Recommender.rank``; here only from a last good list served again). When Bilibili
faults, /explore serves the user's last good list with its age; /hot serves the stale popular
list with its age (see PopularCache). Every list shown to a user is logged as impressions
(``log_shown``), so training and /status can learn what became of it. A list shown to a user
gets a cursor (``bot.services.cursors``): ``more`` sends the next batch of the same ranking.
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
from bot.services.cursors import ListCursors, ListSource
from bot.services.popular import PopularCache
from storage import Storage
from domain import Video

if TYPE_CHECKING:  # the recommender is passed in; importing it loads numpy/jieba
    from recommender import Recommendation, Recommender

logger = logging.getLogger(__name__)
LAST_GOOD_MAX_USERS = 10_000
MORE_OK, MORE_EXPIRED, MORE_STALE, MORE_EXHAUSTED = "ok", "expired", "stale", "exhausted"


@dataclass(frozen=True)
class ListResult:
    """A ranked list; ``age_s`` is set when it is an older list served because of a fault;
    ``ranker`` names what ranked it (see RankedList); ``logged_in`` whether the user has a
    Bilibili login (set by ``hot_for_user``); ``loggable`` is False for a list made before
    the user was known (``log_shown`` then logs nothing); ``source`` what it was ranked from;
    ``more`` the (token, step) of its ▶ button when it has a cursor; ``offset`` how many entries
    of the same ranking were shown before it (a ▶ batch)."""

    items: list[Recommendation]
    provisional: bool
    age_s: float | None = None
    ranker: str = ""
    logged_in: bool = True
    loggable: bool = True
    source: ListSource | None = None
    more: tuple[str, int] | None = None
    offset: int = 0


@dataclass(frozen=True)
class MoreResult:
    """The answer to a ▶ tap: ``status`` MORE_OK (``result`` is the next batch, to be logged on
    ``log_channel``), MORE_EXPIRED (unknown or old token), MORE_STALE (that batch was sent
    already) or MORE_EXHAUSTED (nothing left to show); ``channel`` is the rank channel."""

    status: str
    result: ListResult | None = None
    log_channel: str = ""
    channel: str = ""


class ListService:
    """Builds the ranked lists (see module doc)."""

    def __init__(self, storage: Storage, client: BilibiliClient, recommender: Recommender,
                 accounts: Accounts, popular: PopularCache, *,
                 cursors: ListCursors | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.storage = storage
        self.client = client
        self.recommender = recommender
        self.accounts = accounts
        self.popular = popular
        self.cursors = cursors if cursors is not None else ListCursors()
        self._clock = clock
        self._popular_tuple: tuple[list[Video], tuple[Video, ...]] | None = None
        self._last_good: OrderedDict[int, tuple[float, ListResult]] = OrderedDict()

    def forget(self, tg_id: int) -> None:
        """Drop the user's last good list (after /logout; the cursors register themselves)."""
        self._last_good.pop(tg_id, None)

    async def find_video(self, tg_id: int, bvid: str) -> Video | None:
        """The record of a video recently shown to the user (for feedback), if still known."""
        return (await self.find_videos(tg_id, [bvid])).get(bvid)

    async def find_videos(self, tg_id: int, bvids: list[str]) -> dict[str, Video]:
        """The records of videos recently shown to the user, by BV id, as far as still known:
        from the user's list cursors, last good list and the popular list, else from their
        stored pools and impressions."""
        wanted, found = set(bvids), {}
        entry = self._last_good.get(tg_id)
        shown = [item.video for item in entry[1].items] if entry else []
        for video in [*self.cursors.videos(tg_id), *shown, *self.popular.peek()]:
            if video.bvid in wanted:
                found.setdefault(video.bvid, video)
        for load in (self.storage.load_pool, self._shown_videos):
            if wanted <= set(found):
                break
            for video in await asyncio.to_thread(load, tg_id):
                if video.bvid in wanted:
                    found.setdefault(video.bvid, video)
        return found

    def _shown_videos(self, tg_id: int) -> list[Video]:
        """The videos of the user's impressions, newest first."""
        return [impression.video for impression in reversed(self.storage.load_impressions(tg_id))]

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
        result = self.continued(tg_id, result, tg_id if user else None, n, "hot")
        return replace(result, logged_in=logged_in, loggable=user is not None)

    async def hot(self, tg_id: int | None, n: int, *,
                  exclude: frozenset[str] = frozenset()) -> ListResult:
        """The popular list ranked for the user (quality order when tg_id is None or untrained)."""
        snapshot = await self.popular.get()
        ranked = await asyncio.to_thread(self.recommender.rank, tg_id, list(snapshot.videos), n,
                                         channel="hot", exclude=set(exclude))
        return ListResult(list(ranked.items), ranked.provisional,
                          snapshot.age_s if snapshot.stale else None, ranked.ranker,
                          source=ListSource("hot", self._shared(snapshot.videos),
                                            frozenset(exclude)))

    async def explore(self, tg_id: int, n: int | None, *,
                      exclude: frozenset[str] = frozenset(), pages: int = 1,
                      log_channel: str = "explore") -> ListResult:
        """The user's feed ranked for them (n None: their list size), with a cursor whose
        batches are logged on ``log_channel``; LoginRequired/LoginExpired without a login.

        One feed page (30 videos) answers most requests; when filtering leaves fewer than n,
        one more page is fetched (Bilibili's feed gives fresh videos on every call)."""
        n = await self.list_size(tg_id, n)
        try:
            feed = await self._feed(tg_id, pages)
            skip = set(exclude)
            ranked, candidates = await self._rank_feed(tg_id, feed, n, skip)
            if len(ranked.items) < n:
                known = {video.bvid for video in feed}
                feed += [video for video in await self._feed(tg_id, 1)
                         if video.bvid not in known]
                ranked, candidates = await self._rank_feed(tg_id, feed, n, skip)
        except (RiskControl, BilibiliUnavailable):
            stale = await self._last_good_list(tg_id, n, exclude)
            if stale is None:
                raise
            if stale.source is not None:  # its ▶ keeps this call's exclusions too
                stale = replace(stale, source=replace(
                    stale.source, exclude=stale.source.exclude | frozenset(exclude)))
            return self.continued(tg_id, stale, tg_id, n, log_channel)
        await asyncio.to_thread(self.storage.save_pool, tg_id, "feed", feed)
        result = ListResult(list(ranked.items), ranked.provisional, ranker=ranked.ranker,
                            source=ListSource("explore", tuple(candidates), frozenset(exclude)))
        self._remember(tg_id, result)
        return self.continued(tg_id, result, tg_id, n, log_channel)

    def _shared(self, videos: list[Video]) -> tuple[Video, ...]:
        """The popular list as one tuple shared by every cursor made from it."""
        if self._popular_tuple is None or self._popular_tuple[0] is not videos:
            self._popular_tuple = (videos, tuple(videos))
        return self._popular_tuple[1]

    def continued(self, tg_id: int, result: ListResult, rank_as: int | None, n: int,
                  log_channel: str) -> ListResult:
        """The list with a cursor of the user (its ▶ asks for the next n, ranked for
        ``rank_as``, logged on ``log_channel``); unchanged when empty or without a source."""
        if not result.items or result.source is None:
            return result
        cursor = self.cursors.open(tg_id, rank_as, result.source,
                                   [item.video.bvid for item in result.items], n, log_channel)
        return replace(result, more=(cursor.token, cursor.step))

    async def more(self, tg_id: int, token: str, step: int) -> MoreResult:
        """The next batch of a list's ranking (see MoreResult): the same candidates re-ranked
        without anything shown before, and with the user's latest 👎 and mutes applied."""
        cursor = self.cursors.get(tg_id, token)
        if cursor is None:
            return MoreResult(MORE_EXPIRED)
        async with cursor.lock:
            channel = cursor.source.channel
            if step != cursor.step:
                return MoreResult(MORE_STALE, channel=channel)
            ranked = await asyncio.to_thread(
                self.recommender.rank, cursor.rank_as, list(cursor.source.candidates),
                cursor.size, channel=channel, exclude=set(cursor.exclude))
            if not ranked.items:
                return MoreResult(MORE_EXHAUSTED, channel=channel)
            offset = cursor.shown
            cursor.exclude.update(item.video.bvid for item in ranked.items)
            cursor.shown += len(ranked.items)
            cursor.step += 1
            result = ListResult(list(ranked.items), ranked.provisional, ranker=ranked.ranker,
                                source=cursor.source, more=(cursor.token, cursor.step),
                                offset=offset)
        logger.info("user %s: batch %d of a %s list (%d videos)", tg_id, step, channel,
                    len(result.items))
        return MoreResult(MORE_OK, result, cursor.log_channel, channel)

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
        """(the ranking, the candidates it ranked: the feed minus popular videos)."""
        popular = {video.bvid for video in self.popular.peek()}
        candidates = [video for video in feed if video.bvid not in popular] or feed
        ranked = await asyncio.to_thread(self.recommender.rank, tg_id, candidates, n,
                                         channel="explore", exclude=skip)
        return ranked, candidates

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
