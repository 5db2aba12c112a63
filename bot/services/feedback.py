"""Taps on a list's buttons: 👍/👎 (a second tap on the same choice undoes it), the ⋯ menu and
its "fewer from this UP主 / this zone" (a mute, a toggle too), and unmuting from /status.

Every tap answers with the keyboard's new state (``KeyboardState``: the user's 👍/👎 of the
entries, the entries a mute now hides, the open menu), which ``bot.render.feedback_rows`` draws.
Mutes are stored feedback (``Storage.add_mute``): the recommender leaves those videos out of
every list and learns them as negatives; /logout erases them with everything else.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Sequence

from bot.services.lists import ListService
from domain import Video
from storage import MuteRecord, Storage

logger = logging.getLogger(__name__)
UP, DOWN, UNDONE = "up", "down", "undone"
MENU_OPEN, MENU_CLOSED = "menu_open", "menu_closed"
MUTED, UNMUTED = "muted", "unmuted"
LOGGED_OUT, UNKNOWN_VIDEO = "logged_out", "unknown_video"


@dataclass(frozen=True)
class EntryMenu:
    """The open ⋯ menu of one entry: its UP主's name and zone (None when unknown) and whether
    each is muted now."""

    bvid: str
    author: str | None
    author_muted: bool
    zone: str | None
    zone_muted: bool


@dataclass(frozen=True)
class KeyboardState:
    """What a list keyboard shows: the user's 👍/👎 (bvid -> ±1), the entries a mute hides,
    and the one open ⋯ menu."""

    votes: dict = field(default_factory=dict)
    muted: frozenset = frozenset()
    menu: EntryMenu | None = None


@dataclass(frozen=True)
class Tap:
    """What a tap did (``outcome``), the keyboard's new state (None when nothing is to be
    redrawn) and the muted/unmuted kind and name for the answer."""

    outcome: str
    state: KeyboardState | None = None
    kind: str = ""
    name: str = ""


@dataclass(frozen=True)
class Unmuted:
    """An unmute from /status: the mute removed (None when it was gone already) and the
    remaining mutes."""

    removed: MuteRecord | None
    remaining: list[MuteRecord]


def mute_target(video: Video, kind: str) -> tuple[str, str] | None:
    """(key, name) of the video's UP主 ("author") or zone ("zone"), None when unknown."""
    if kind == "author":
        return (str(video.owner_mid), video.owner_name or str(video.owner_mid)) \
            if video.owner_mid > 0 else None
    zone = (video.tname or "").strip()
    return (zone, zone) if zone else None


class FeedbackService:
    """Stores the taps of list buttons and says what the keyboard shows next."""

    def __init__(self, storage: Storage, lists: ListService) -> None:
        self.storage = storage
        self.lists = lists

    async def _known(self, tg_id: int) -> bool:
        return await asyncio.to_thread(self.storage.get_user, tg_id) is not None

    async def vote(self, tg_id: int, bvid: str, value: int, entries: Sequence[str],
                   menu: str | None) -> Tap:
        """👍 (+1) / 👎 (-1): stored (latest wins), or removed when it was already the
        user's choice; nothing written for a user the bot does not know (erased)."""
        if not await self._known(tg_id):
            return Tap(LOGGED_OUT)
        current = (await asyncio.to_thread(self.storage.load_feedback, tg_id)).get(bvid)
        if current == value:
            await asyncio.to_thread(self.storage.remove_feedback, tg_id, bvid)
            logger.info("user %s took back %+d on %s", tg_id, value, bvid)
            outcome = UNDONE
        else:
            await self.lists.record_feedback(tg_id, bvid, value)
            outcome = UP if value > 0 else DOWN
        return Tap(outcome, await self.state(tg_id, entries, menu))

    async def toggle_menu(self, tg_id: int, bvid: str, entries: Sequence[str],
                          menu: str | None) -> Tap:
        """Open the entry's ⋯ menu (closing another), or close it when it is open."""
        if not await self._known(tg_id):
            return Tap(LOGGED_OUT)
        if menu == bvid:
            return Tap(MENU_CLOSED, await self.state(tg_id, entries, None))
        state = await self.state(tg_id, entries, bvid)
        if state.menu is None:
            return Tap(UNKNOWN_VIDEO)
        return Tap(MENU_OPEN, state)

    async def mute(self, tg_id: int, kind: str, bvid: str, entries: Sequence[str]) -> Tap:
        """Mute the video's UP主 ("author") or zone ("zone"), or unmute it when muted; the
        menu closes."""
        if not await self._known(tg_id):
            return Tap(LOGGED_OUT)
        video = await self.lists.find_video(tg_id, bvid)
        target = mute_target(video, kind) if video is not None else None
        if target is None:
            return Tap(UNKNOWN_VIDEO)
        key, name = target
        removed = await asyncio.to_thread(self.storage.remove_mute, tg_id, kind, key)
        if removed is None:
            await asyncio.to_thread(self.storage.add_mute, tg_id, kind, key, name)
        logger.info("user %s %s %s %s", tg_id, "unmuted" if removed else "muted", kind, key)
        return Tap(UNMUTED if removed else MUTED, await self.state(tg_id, entries, None),
                   kind, name)

    async def unmute(self, tg_id: int, mute_id: int) -> Unmuted:
        """Remove one of the user's mutes by id (from /status)."""
        record = await asyncio.to_thread(self.storage.get_mute, tg_id, mute_id)
        if record is not None:
            await asyncio.to_thread(self.storage.remove_mute, tg_id, record.kind, record.key)
            logger.info("user %s unmuted %s %s", tg_id, record.kind, record.key)
        return Unmuted(record, await asyncio.to_thread(self.storage.load_mutes, tg_id))

    async def state(self, tg_id: int, entries: Sequence[str], menu: str | None
                    ) -> KeyboardState:
        """The keyboard of these entries now (the menu only when its video is known)."""
        from recommender.mutes import Mutes  # the recommender package loads numpy/jieba

        feedback = await asyncio.to_thread(self.storage.load_feedback, tg_id)
        mutes = Mutes.of(await asyncio.to_thread(self.storage.load_mutes, tg_id))
        videos = await self.lists.find_videos(tg_id, list(entries))
        muted = frozenset(b for b, video in videos.items() if mutes.hides(video))
        open_menu = None
        video = videos.get(menu) if menu else None
        if video is not None:
            author, zone = mute_target(video, "author"), mute_target(video, "zone")
            if author or zone:
                open_menu = EntryMenu(
                    video.bvid, author[1] if author else None,
                    bool(author) and video.owner_mid in mutes.authors,
                    zone[0] if zone else None, bool(zone) and zone[0] in mutes.zones)
        return KeyboardState({b: feedback[b] for b in entries if b in feedback}, muted,
                             open_menu)
