"""The user's mutes ("fewer from this UP主 / this zone") as ranking and training use them.

A mute hides every video of that UP主 (by mid) or of that zone (by ``tname``) from the user's
lists, and turns the user's samples of them into negatives at training (recommender.labels).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from domain import Video

AUTHOR, ZONE = "author", "zone"


@dataclass(frozen=True)
class Mutes:
    """Muted UP主 mids and zone names (picklable: it travels to the training worker)."""

    authors: frozenset[int] = frozenset()
    zones: frozenset[str] = frozenset()

    @classmethod
    def of(cls, records: Iterable) -> "Mutes":
        """From storage's MuteRecords (kind, key); an author key that is not a mid is ignored."""
        authors, zones = set(), set()
        for record in records:
            if record.kind == AUTHOR and str(record.key).isdigit():
                authors.add(int(record.key))
            elif record.kind == ZONE and str(record.key).strip():
                zones.add(str(record.key).strip())
        return cls(frozenset(authors), frozenset(zones))

    def __bool__(self) -> bool:
        return bool(self.authors or self.zones)

    def hides(self, video: Video) -> bool:
        """Whether a mute covers the video (its UP主 or its zone)."""
        return ((video.owner_mid > 0 and video.owner_mid in self.authors)
                or (video.tname or "").strip() in self.zones)
