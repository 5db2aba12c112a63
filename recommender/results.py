"""The records the recommender hands to the bot: ranked lists, ratings, reasons, training reports.

Reasons are structured (a kind and a value), so the bot renders them in Chinese or English.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from domain import Video

ReasonKind = Literal["author", "zone", "keywords", "quality", "popular", "fresh"]


@dataclass(frozen=True)
class Reason:
    """Why a video is recommended: the UP主, zone, title keywords (joined by "、"), quality,
    popularity (``popular``: the view count as digits) or freshness (``fresh``: the whole days
    since publication, "0" = today). The bot words each kind per language."""

    kind: ReasonKind
    value: str


@dataclass(frozen=True)
class Recommendation:
    """One ranked video with its 0-100 rating, reasons and the ranker's 0..1 score."""

    video: Video
    rating: int
    reasons: tuple[Reason, ...] = ()
    score: float | None = None


@dataclass(frozen=True)
class RankedList:
    """A ranked list; ``provisional`` when no personal model was used; ``ranker`` names what
    ranked it ("model", "content", "quality", ...; an opaque name)."""

    items: list[Recommendation] = field(default_factory=list)
    provisional: bool = False
    ranker: str = ""


@dataclass(frozen=True)
class TrainingReport:
    """What a training run did; ``accepted`` when the new model replaced the old one."""

    n_records: int
    accepted: bool
    metrics: dict = field(default_factory=dict)
    message: str = ""
