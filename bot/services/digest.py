"""What goes into a user's daily digest, and when a digest is due.

A digest is one hot list and one explore list (explore only with a login). Videos already pushed
by an earlier digest are excluded, and the explore list never repeats the hot list, so digests
never push the same video twice. Each list has a cursor, so its ▶ button sends more of it (in
memory: after a restart a digest's ▶ answers that the list expired). A digest sent in one go has
its lists logged as impressions on the "digest" channel. Sending and scheduling live in
``bot.jobs``.

Exactly once across a crash: the rendered messages of today's digest (its *parts*) are written
to ``models/<tg_id>/digest-<date>.json`` before the first is sent, and each part is recorded as
sent right after Telegram accepted it; a digest resumed after a restart sends only the parts not
recorded. The file lives in the user's folder, so /logout erases it with everything else.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from datetime import datetime, time as dtime
from typing import Callable
from zoneinfo import ZoneInfo

from bilibili.errors import BilibiliError
from bot.services.accounts import LoginRequired
from bot.services.lists import ListResult, ListService
from storage import CredentialsUnreadable, DigestSetting, Storage
from storage.files import write_atomic

logger = logging.getLogger(__name__)
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
    """The user's digest setting; prepares digests and records them as sent."""

    def __init__(self, storage: Storage, lists: ListService, *, default_zone: str) -> None:
        self.storage = storage
        self.lists = lists
        self.default_zone = default_zone
        self.plans = DigestPlans(storage)

    async def show(self, tg_id: int) -> DigestSetting | None:
        """The user's digest setting (None when they never set one)."""
        return await asyncio.to_thread(self.storage.get_digest, tg_id)

    async def set(self, tg_id: int, lang: str, time_hhmm: str, zone: str) -> DigestSetting:
        """A daily digest at time_hhmm in zone (a paused digest stays paused); returns the
        setting to schedule."""
        return await asyncio.to_thread(self._store, tg_id, lang, time_hhmm, zone)

    async def off(self, tg_id: int, lang: str) -> DigestSetting:
        """No more digests (the zone is kept for the next /digest HH:MM)."""
        return await asyncio.to_thread(self._store, tg_id, lang, None, None)

    def _store(self, tg_id: int, lang: str, time_hhmm: str | None,
               zone: str | None) -> DigestSetting:
        storage = self.storage
        if storage.get_user(tg_id) is None:
            storage.ensure_user(tg_id, lang)
        storage.set_language(tg_id, lang)
        if zone is None:
            setting = storage.get_digest(tg_id)
            zone = setting.timezone if setting else self.default_zone
        storage.set_digest(tg_id, time_hhmm, zone)
        return storage.get_digest(tg_id)

    async def resume_if_back(self, tg_id: int) -> bool:
        """The user wrote: a digest paused because they had blocked the bot (403) runs again;
        a pause for an expired login (Bilibili account linked, no credentials) stays. True when
        it was resumed."""
        return await asyncio.to_thread(self._resume_if_back, tg_id)

    def _resume_if_back(self, tg_id: int) -> bool:
        storage = self.storage
        setting = storage.get_digest(tg_id)
        if setting is None or not setting.paused:
            return False
        record = storage.get_user(tg_id)
        try:
            logged_in = storage.load_credentials(tg_id) is not None
        except CredentialsUnreadable:
            logged_in = False
        if record is not None and record.mid and not logged_in:
            return False
        storage.set_digest_paused(tg_id, False)
        logger.info("user %s wrote again; digest resumed", tg_id)
        return True

    async def pause_blocked(self, tg_id: int) -> None:
        """Telegram said 403 (blocked, deactivated): pause the digest until the user writes."""
        logger.info("user %s blocked the bot (403); digest paused until they write again",
                    tg_id)
        if await asyncio.to_thread(self.storage.get_digest, tg_id) is not None:
            await asyncio.to_thread(self.storage.set_digest_paused, tg_id, True)

    async def prepare(self, tg_id: int, date_iso: str) -> DigestContent:
        """The lists the user's /settings ask for (hot, explore, both; of their list size)
        without anything an earlier digest pushed. LoginExpired propagates."""
        sent = frozenset(await asyncio.to_thread(self.storage.sent_bvids, tg_id, DIGEST_CHANNEL))
        wanted = await asyncio.to_thread(self.storage.get_settings, tg_id)
        size = wanted.list_size
        faults: list[BilibiliError] = []
        hot: ListResult | None = None
        try:
            if wanted.digest_hot:
                hot = self.lists.continued(
                    tg_id, await self.lists.hot(tg_id, size, exclude=sent), tg_id, size,
                    DIGEST_CHANNEL)
        except BilibiliError as exc:
            faults.append(exc)
        in_hot = frozenset(item.video.bvid for item in hot.items) if hot else frozenset()
        explore: ListResult | None = None
        try:
            if wanted.digest_explore:
                explore = await self.lists.explore(tg_id, size, exclude=sent | in_hot,
                                                   pages=2, log_channel=DIGEST_CHANNEL)
        except LoginRequired:
            explore = None
        except BilibiliError as exc:
            faults.append(exc)
        return DigestContent(date_iso, hot, explore, tuple(faults))

    async def log_shown(self, tg_id: int, content: DigestContent) -> None:
        """Log both lists of a digest that went out as shown (impressions)."""
        for shown in (content.hot, content.explore):
            if shown is not None:
                await self.lists.log_shown(tg_id, DIGEST_CHANNEL, shown)

@dataclass
class DigestPlan:
    """Today's digest as messages (text, keyboard rows of (label, data), BV ids) and how many of
    them were sent."""

    date_iso: str
    parts: list[dict] = field(default_factory=list)
    sent: int = 0


class DigestPlans:
    """The persisted parts of a user's digest of one day (see module doc)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def _path(self, tg_id: int, date_iso: str) -> Path:
        return self.storage.model_dir(tg_id) / f"digest-{date_iso}.json"

    def load(self, tg_id: int, date_iso: str) -> DigestPlan | None:
        """The plan of that day when one was started; older plans are removed."""
        folder = self.storage.model_dir(tg_id)
        for old in folder.glob("digest-*.json"):
            if old.name != f"digest-{date_iso}.json":
                old.unlink(missing_ok=True)
        try:
            data = json.loads(self._path(tg_id, date_iso).read_text(encoding="utf-8"))
            return DigestPlan(date_iso, list(data["parts"]), int(data["sent"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, tg_id: int, plan: DigestPlan) -> None:
        """Write the plan (atomically: a crash leaves the previous or the new one)."""
        payload = {"parts": plan.parts, "sent": plan.sent}
        write_atomic(self._path(tg_id, plan.date_iso),
                     json.dumps(payload, ensure_ascii=False).encode("utf-8"))

    def part_sent(self, tg_id: int, plan: DigestPlan) -> None:
        """Record the next part as sent: its videos on the digest channel, then the count."""
        part = plan.parts[plan.sent]
        self.storage.record_sent(tg_id, part["bvids"], DIGEST_CHANNEL)
        plan.sent += 1
        self.save(tg_id, plan)

    def finish(self, tg_id: int, plan: DigestPlan) -> None:
        """Every part is out: mark the day as sent and drop the plan."""
        self.storage.mark_digest_sent(tg_id, plan.date_iso)
        self._path(tg_id, plan.date_iso).unlink(missing_ok=True)
