"""The users' /settings: silent digest, list size, the digest's lists, language, and the
digest time and zone (kept by ``DigestService``).

Stored per user in storage (``user_settings``, erased with the user). The chosen language is
also kept in memory, so every update can be answered in it without a database read (loaded
once per user by ``load_language``); a custom value typed after a "custom…" button waits in
``awaiting``. Both are per-user memory: ``forget`` (registered with the eraser) drops them.
"""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass, replace

from bot.args import ArgumentError, parse_time
from bot.services.digest import DigestService
from bot.settings import valid_timezone
from storage import DigestSetting, Storage, UserSettings

logger = logging.getLogger(__name__)
LIST_SIZES = (5, 10, 15, 20)
LANGUAGES = ("auto", "zh", "en")
TIME_PRESETS = ("07:00", "08:00", "12:00", "18:00", "21:00")
LANGUAGE_CACHE_USERS = 10_000   # users whose language stays in memory (others are re-read)
ZONE_PRESETS = ("Asia/Shanghai", "Asia/Tokyo", "Europe/London", "Europe/Berlin",
                "America/New_York", "America/Los_Angeles", "UTC")


@dataclass(frozen=True)
class SettingsView:
    """What the settings message shows: the stored settings and the digest setting (None
    when the user never set a digest; its zone then is ``zone``)."""

    settings: UserSettings
    digest: DigestSetting | None
    zone: str


class Preferences:
    """Reads and changes a user's settings (see module doc)."""

    def __init__(self, storage: Storage, digests: DigestService, *, default_zone: str) -> None:
        self.storage = storage
        self.digests = digests
        self.default_zone = default_zone
        self._languages: OrderedDict[int, str] = OrderedDict()
        self.awaiting: dict[int, tuple[str, int]] = {}  # user -> ("time"|"zone", message id)

    def forget(self, tg_id: int) -> None:
        """Drop the user's cached language and any custom entry awaited (after /logout)."""
        self._languages.pop(tg_id, None)
        self.awaiting.pop(tg_id, None)

    def language(self, tg_id: int) -> str | None:
        """The language the user chose ("zh"/"en"); None for auto or not loaded yet."""
        chosen = self._languages.get(tg_id)
        return chosen if chosen in ("zh", "en") else None

    async def load_language(self, tg_id: int) -> None:
        """Read the user's chosen language once (later updates find it in memory)."""
        if tg_id in self._languages:
            self._languages.move_to_end(tg_id)
            return
        settings = await asyncio.to_thread(self.storage.get_settings, tg_id)
        self._remember(tg_id, settings.language)

    def _remember(self, tg_id: int, language: str) -> None:
        self._languages[tg_id] = language
        self._languages.move_to_end(tg_id)
        while len(self._languages) > LANGUAGE_CACHE_USERS:
            self._languages.popitem(last=False)

    async def view(self, tg_id: int) -> SettingsView:
        """The user's settings as the settings message shows them."""
        settings = await asyncio.to_thread(self.storage.get_settings, tg_id)
        digest = await asyncio.to_thread(self.storage.get_digest, tg_id)
        return SettingsView(settings, digest, digest.timezone if digest else self.default_zone)

    async def change(self, tg_id: int, lang: str, **changes: object) -> SettingsView:
        """Store changed settings (fields of UserSettings); ValueError for a bad value."""
        settings = await asyncio.to_thread(self.storage.get_settings, tg_id)
        settings = replace(settings, **changes)
        if settings.list_size not in LIST_SIZES or settings.language not in LANGUAGES:
            raise ValueError("not a list size or language the settings offer")
        await asyncio.to_thread(self._save, tg_id, lang, settings)
        self._remember(tg_id, settings.language)
        logger.info("user %s changed settings: %s", tg_id, sorted(changes))
        return await self.view(tg_id)

    def _save(self, tg_id: int, lang: str, settings: UserSettings) -> None:
        if self.storage.get_user(tg_id) is None:
            self.storage.ensure_user(tg_id, lang)
        self.storage.save_settings(tg_id, settings)

    async def set_digest_time(self, tg_id: int, lang: str,
                              time_hhmm: str | None) -> tuple[SettingsView, DigestSetting]:
        """A digest at time_hhmm in the user's zone (None = off); returns the view and the
        digest setting to schedule."""
        if time_hhmm is None:
            digest = await self.digests.off(tg_id, lang)
        else:
            current = await self.digests.show(tg_id)
            zone = current.timezone if current else self.default_zone
            digest = await self.digests.set(tg_id, lang, time_hhmm, zone)
        return await self.view(tg_id), digest

    async def set_digest_zone(self, tg_id: int, lang: str,
                              zone: str) -> tuple[SettingsView, DigestSetting | None]:
        """The digest's zone (a digest that is off stays off, keeping the zone for later);
        returns the view and the digest setting to schedule."""
        current = await self.digests.show(tg_id)
        time_hhmm = current.time_hhmm if current else None
        if time_hhmm is None:
            await asyncio.to_thread(self._store_zone_only, tg_id, lang, zone)
            digest = await self.digests.show(tg_id)
        else:
            digest = await self.digests.set(tg_id, lang, time_hhmm, zone)
        return await self.view(tg_id), digest

    async def apply(self, tg_id: int, lang: str, data: str,
                    message_id: int) -> SettingsOutcome:
        """A settings button's data ("set:<what>[:<value>]", see ``bot.render.render_settings``)
        applied; message_id is the settings message (a "custom" button remembers it for the
        typed value). ValueError (or bot.args.ArgumentError) for data no button carries."""
        parts = data.split(":", 2)
        if len(parts) < 2 or parts[0] != "set":
            raise ValueError("not a settings button")
        return await _apply(self, tg_id, lang, parts[1], parts[2] if len(parts) > 2 else None,
                            message_id)

    async def enter(self, tg_id: int, lang: str, typed: str) -> tuple[SettingsOutcome, int]:
        """The value typed after a "custom" button: (the outcome, the settings message id).
        ArgumentError ("digest_bad_time" / "digest_bad_zone") keeps waiting; KeyError when
        nothing is awaited."""
        kind, message_id = self.awaiting[tg_id]
        typed = typed.strip()
        if kind == "time":
            view, _ = await self.set_digest_time(tg_id, lang, parse_time(typed))
        else:
            if not valid_timezone(typed):
                raise ArgumentError("digest_bad_zone", zone=typed[:64])
            view, _ = await self.set_digest_zone(tg_id, lang, typed)
        self.awaiting.pop(tg_id, None)
        return SettingsOutcome(view, digest_changed=True), message_id

    def _store_zone_only(self, tg_id: int, lang: str, zone: str) -> None:
        if self.storage.get_user(tg_id) is None:
            self.storage.ensure_user(tg_id, lang)
        self.storage.set_digest(tg_id, None, zone)


@dataclass(frozen=True)
class SettingsOutcome:
    """A settings change: the view, the screen to show, the digest setting to (re)schedule
    when the digest changed (``digest_changed``), and a text key to tell the user (a refusal)."""

    view: SettingsView
    screen: str = "main"
    digest_changed: bool = False
    note: str | None = None


async def _apply(prefs: Preferences, tg_id: int, lang: str, what: str, value: str | None,
                 message_id: int) -> SettingsOutcome:
    """One settings button (see ``Preferences.apply``)."""
    if what in ("main", "time", "zone") and value is None:
        prefs.awaiting.pop(tg_id, None)
        return SettingsOutcome(await prefs.view(tg_id), what)
    current = (await prefs.view(tg_id)).settings
    if what == "silent" and value is None:
        return SettingsOutcome(await prefs.change(tg_id, lang,
                                                  silent_digest=not current.silent_digest))
    if what == "n" and value is not None and value.isdigit():
        return SettingsOutcome(await prefs.change(tg_id, lang, list_size=int(value)))
    if what == "lang" and value in LANGUAGES:
        return SettingsOutcome(await prefs.change(tg_id, lang, language=value))
    if what == "part" and value in ("hot", "explore"):
        field = f"digest_{value}"
        held = {"digest_hot": current.digest_hot, "digest_explore": current.digest_explore}
        held[field] = not held[field]
        if not any(held.values()):
            return SettingsOutcome(await prefs.view(tg_id), note="settings_last_part")
        return SettingsOutcome(await prefs.change(tg_id, lang, **{field: held[field]}))
    if what in ("t", "z") and value == "custom":
        kind = "time" if what == "t" else "zone"
        prefs.awaiting[tg_id] = (kind, message_id)
        return SettingsOutcome(await prefs.view(tg_id), f"type_{kind}")
    if what == "t" and value is not None:
        view, _ = await prefs.set_digest_time(tg_id, lang,
                                              None if value == "off" else parse_time(value))
        return SettingsOutcome(view, digest_changed=True)
    if what == "z" and value is not None and valid_timezone(value):
        view, _ = await prefs.set_digest_zone(tg_id, lang, value)
        return SettingsOutcome(view, digest_changed=True)
    raise ValueError(f"unknown settings button {what!r}")
