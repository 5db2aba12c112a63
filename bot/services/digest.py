"""What goes into a user's daily digest, and when a digest is due.

A digest is one hot list and one explore list (explore only with a login). Videos already pushed
by an earlier digest are excluded, and the explore list never repeats the hot list, so digests
never push the same video twice. A sent digest's lists are logged as impressions on the
"digest" channel. Sending and scheduling live in ``bot.jobs``.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, time as dtime
from typing import Callable
from zoneinfo import ZoneInfo

from bilibili.errors import BilibiliError
from bot.services.accounts import LoginRequired
from bot.services.lists import ListResult, ListService
from storage import DigestSetting, Storage

DIGEST_CHANNEL = "digest"


def parse_hhmm(value: str) -> dtime:
    """ "08:05" → time(8, 5)."""
    hours, minutes = value.split(":")
    return dtime(int(hours), int(minutes))


def local_now(zone: str, clock: Callable[[], datetime] | None = None) -> datetime:
    """The current time in the zone."""
    now = clock() if clock else datetime.now(tz=ZoneInfo("UTC"))
    return now.astimezone(ZoneInfo(zone))


def missed_today(setting: DigestSetting, now_utc: datetime) -> bool:
    """Whether today's digest (in the user's zone) was due already and has not been sent."""
    if setting.time_hhmm is None or setting.paused:
        return False
    now = now_utc.astimezone(ZoneInfo(setting.timezone))
    return (now.time() >= parse_hhmm(setting.time_hhmm)
            and setting.last_sent_date != now.date().isoformat())


@dataclass(frozen=True)
class DigestContent:
    """The two lists of one digest (a list is None when it could not be made)."""

    date_iso: str
    hot: ListResult | None
    explore: ListResult | None
    faults: tuple[BilibiliError, ...] = ()

    def bvids(self) -> list[str]:
        lists = [lst for lst in (self.hot, self.explore) if lst is not None]
        return [item.video.bvid for lst in lists for item in lst.items]


class DigestService:
    """Prepares digests and records them as sent."""

    def __init__(self, storage: Storage, lists: ListService, *, size: int = 10) -> None:
        self.storage = storage
        self.lists = lists
        self.size = size

    async def prepare(self, tg_id: int, date_iso: str) -> DigestContent:
        """Both lists without anything an earlier digest pushed. LoginExpired propagates."""
        sent = frozenset(await asyncio.to_thread(self.storage.sent_bvids, tg_id, DIGEST_CHANNEL))
        faults: list[BilibiliError] = []
        hot: ListResult | None = None
        try:
            hot = await self.lists.hot(tg_id, self.size, exclude=sent)
        except BilibiliError as exc:
            faults.append(exc)
        in_hot = frozenset(item.video.bvid for item in hot.items) if hot else frozenset()
        explore: ListResult | None = None
        try:
            explore = await self.lists.explore(tg_id, self.size, exclude=sent | in_hot,
                                               pages=2)
        except LoginRequired:
            explore = None
        except BilibiliError as exc:
            faults.append(exc)
        return DigestContent(date_iso, hot, explore, tuple(faults))

    async def record(self, tg_id: int, content: DigestContent) -> None:
        """Remember the pushed videos and the date; log both lists as shown."""
        for shown in (content.hot, content.explore):
            if shown is not None:
                await self.lists.log_shown(tg_id, DIGEST_CHANNEL, shown)
        await asyncio.to_thread(self.storage.record_sent, tg_id, content.bvids(), DIGEST_CHANNEL)
        await asyncio.to_thread(self.storage.mark_digest_sent, tg_id, content.date_iso)
