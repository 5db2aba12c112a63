"""Video records to and from the JSON stored in the database."""
from __future__ import annotations

import dataclasses
import json

from domain import Video

_FIELDS = {f.name: f for f in dataclasses.fields(Video)}


def video_to_json(video: Video) -> str:
    """The video as a compact JSON object (tags as a list)."""
    data = {name: getattr(video, name) for name in _FIELDS}
    data["tags"] = list(video.tags)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def video_from_json(text: str | bytes) -> Video:
    """The video stored by ``video_to_json``; unknown keys (a newer schema) are ignored."""
    data = json.loads(text)
    known = {name: value for name, value in data.items() if name in _FIELDS}
    if "tags" in known:
        known["tags"] = tuple(str(tag) for tag in known["tags"] or ())
    return Video(**known)
