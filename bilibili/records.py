"""Small records returned by the client besides ``domain.Video``."""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from domain import Credentials


class QrState(IntEnum):
    """The login state inside a QR poll answer (``data.code``)."""

    CONFIRMED = 0
    WAITING = 86101
    SCANNED = 86090
    EXPIRED = 86038


@dataclass(frozen=True)
class QrCode:
    """A generated login QR: ``url`` is the text to encode, ``qrcode_key`` the key to poll."""

    url: str
    qrcode_key: str


@dataclass(frozen=True)
class QrPoll:
    """One poll result; ``credentials`` is set only when ``state`` is CONFIRMED."""

    state: QrState
    credentials: Credentials | None = None


@dataclass(frozen=True)
class NavInfo:
    """The login state from ``nav``."""

    is_login: bool
    mid: int = 0
    uname: str = ""


@dataclass(frozen=True)
class FavFolder:
    """One favourite folder of a user."""

    media_id: int
    title: str
    media_count: int


@dataclass(frozen=True)
class VideoStats:
    """One video's counts from the batch resource endpoint (``resource_infos``).

    ``gone`` is True for a deleted or invalid video (attr 1) and for one Bilibili did not return;
    its counts are then None."""

    aid: int
    gone: bool = False
    bvid: str = ""
    title: str = ""
    owner_mid: int = 0
    owner_name: str = ""
    duration: int = 0
    pubdate: int = 0
    cover: str = ""
    view: int | None = None
    favorite: int | None = None
    danmaku: int | None = None
