"""Counts for behaviour records that lack them (the watch history has none), in batches.

Records without a view count get views, favourites and danmaku (and a missing duration, UP主,
publish date, title or cover) from ``BilibiliClient.resource_infos``, ``chunk`` videos per
request, paced, at most ``cap`` videos per sync. Each video is asked about once per user: the
sync stores which aids were looked up (found or gone) after saving the records, whose counts
later syncs without counts never overwrite (``merge_videos`` keeps non-empty values). A failed
chunk leaves its records as they were (asked again next sync); risk control stops enrichment for
the rest of the sync. Requests run in threads, pauses on the event loop.
"""
from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field, replace
from typing import Awaitable, Callable, Iterable

from bilibili import BilibiliClient, VideoStats
from bilibili.errors import BilibiliError, RiskControl
from storage import Storage
from domain import Video, merge_videos

logger = logging.getLogger(__name__)

JITTER = 0.5  # a pause lasts pace_s to (1 + JITTER) × pace_s
COUNTS = ("view", "favorite", "danmaku")
DETAILS = ("duration", "owner_mid", "owner_name", "pubdate", "title", "cover")


@dataclass
class Enrichment:
    """One sync's enrichment: the records (merged by bvid, counts filled) and what was asked."""

    videos: list[Video]
    found: list[int] = field(default_factory=list)   # aids with counts
    gone: list[int] = field(default_factory=list)    # aids deleted, invalid or not returned
    failed: list[int] = field(default_factory=list)  # aids whose request failed
    requests: int = 0
    stopped: bool = False                            # risk control ended it early


def apply_stats(video: Video, stats: VideoStats) -> Video:
    """The record with the counts it lacks and its empty details filled from stats."""
    changes = {name: getattr(stats, name) for name in COUNTS
               if getattr(video, name) is None and getattr(stats, name) is not None}
    changes.update({name: getattr(stats, name) for name in DETAILS
                    if not getattr(video, name) and getattr(stats, name)})
    return replace(video, **changes) if changes else video


def merge_by_bvid(videos: Iterable[Video]) -> list[Video]:
    """One record per bvid (first-seen order), duplicates merged as storage merges them."""
    merged: dict[str, Video] = {}
    for video in videos:
        seen = merged.get(video.bvid)
        merged[video.bvid] = video if seen is None else merge_videos(seen, video)
    return list(merged.values())


class Enricher:
    """Fills missing counts of a user's behaviour records (see module doc)."""

    def __init__(self, storage: Storage, client: BilibiliClient, *, chunk: int, pace_s: float,
                 cap: int, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 rng: random.Random | None = None,
                 offload: Callable[..., Awaitable] = asyncio.to_thread) -> None:
        """``offload(fn, *args)`` runs a blocking client call in a thread (the bot passes its
        Bilibili pool's ``BilibiliCalls.run``)."""
        if chunk < 1 or pace_s < 0 or cap < 0:
            raise ValueError("chunk must be >= 1, pace_s and cap >= 0")
        self.storage = storage
        self.client = client
        self.chunk = chunk
        self.pace_s = pace_s
        self.cap = cap
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._offload = offload

    async def enrich(self, tg_id: int, videos: Iterable[Video], *,
                     still_wanted: Callable[[], bool] = lambda: True,
                     progress: Callable[[int, int], None] | None = None) -> Enrichment:
        """The records with counts filled where Bilibili has them; stops early once
        still_wanted() is False (the user logged out). progress(done, total) hears how many
        of the videos to look up were asked about, before and after each request."""
        result = Enrichment(merge_by_bvid(videos))
        lacking = list(dict.fromkeys(v.aid for v in result.videos if v.view is None and v.aid > 0))
        if not lacking or not self.cap:
            return result
        known = await asyncio.to_thread(self.storage.stats_looked_up, tg_id, lacking)
        todo = [aid for aid in lacking if aid not in known][:self.cap]
        stats: dict[int, VideoStats] = {}
        for start in range(0, len(todo), self.chunk):
            if progress is not None:
                progress(start, len(todo))
            if start:
                await self._pause()
            if not still_wanted():
                break
            chunk = todo[start:start + self.chunk]
            result.requests += 1
            try:
                stats.update(await self._offload(self.client.resource_infos, chunk))
            except RiskControl as exc:
                logger.warning("user %s: video counts stopped for this sync: %s", tg_id, exc)
                result.failed += todo[start:]
                result.stopped = True
                break
            except BilibiliError as exc:
                logger.warning("user %s: counts of %d videos not read: %s", tg_id, len(chunk),
                               exc)
                result.failed += chunk
        if progress is not None and not result.stopped:
            progress(len(todo), len(todo))
        result.found = [aid for aid, s in stats.items() if not s.gone]
        result.gone = [aid for aid, s in stats.items() if s.gone]
        result.videos = [apply_stats(v, stats[v.aid]) if v.aid in stats else v
                         for v in result.videos]
        logger.info("user %s: counts looked up for %d videos in %d requests (%d already known, "
                    "%d gone, %d failed)", tg_id, len(stats), result.requests, len(known),
                    len(result.gone), len(result.failed))
        return result

    async def _pause(self) -> None:
        if self.pace_s > 0:
            await self._sleep(self.pace_s * (1 + JITTER * self._rng.random()))
