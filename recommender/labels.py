"""Training samples from stored behaviour: labels, weights, anchor times, time-ordered split.

Labels (the issue's rules):

- a video the user liked, coined or favourited is a positive (target 1.0);
- otherwise the interest is the watched fraction ``progress / duration`` (progress -1 = finished,
  so 1.0); a video abandoned early (fraction < ``ABANDON_FRACTION``) is a negative (target 0.0);
  fractions in between are soft targets;
- explicit 👍 is a strong positive and 👎 a strong negative (weight ``FEEDBACK_WEIGHT``); the
  feedback overrides what the behaviour says about that video;
- videos from the popular/feed pools that the user never watched are negatives;
- a video the bot showed and the user did not watch within 3 days is an implicit negative
  (weight ``IMPLICIT_WEIGHT``, see recommender.impressions); a shown video that became a hit is
  a watch or a 👍 already, and a shown video is never also a pool negative;
- a mute ("fewer from this UP主 / zone", recommender.mutes) is a negative signal: every sample of
  a muted UP主 or zone becomes a negative (weight at least ``MUTE_WEIGHT``), except a video the
  user gave 👍 (explicit about that video), and every unwatched pool video of theirs is a
  negative (not left to the random draw).

Every sample has an *anchor* time: the moment whose history its sequence/affinity features may
see (strictly earlier watches only). Watches are anchored at their ``view_at``; samples without a
time (pool negatives, favourites without ``view_at``) get the ``view_at`` of a random watch, so
their context looks like a real watch's context and never gives their label away; implicit
negatives are anchored at the time the video was shown; feedback is anchored after everything
(it is the newest signal).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

import numpy as np

from recommender.impressions import implicit_negatives, judge
from domain import Impression, Video, WatchRecord
from recommender.mutes import Mutes

ABANDON_FRACTION = 0.25
POSITIVE_THRESHOLD = 0.5
FEEDBACK_WEIGHT = 3.0
IMPLICIT_WEIGHT = 0.5
MUTE_WEIGHT = 1.0
AFTER_EVERYTHING = math.inf


@dataclass(frozen=True)
class Sample:
    """One labelled training example."""

    video: Video
    target: float          # 0..1, soft for partly watched videos
    weight: float          # before class balancing
    anchor: float          # features may use watches strictly before this time
    source: str            # "history", "untimed", "feedback", "pool" or "impression"

    @property
    def positive(self) -> bool:
        return self.target >= POSITIVE_THRESHOLD


def watched_fraction(video: Video | WatchRecord) -> float:
    """progress / duration in 0..1; progress -1 means finished; unknown duration gives 0.5."""
    if video.progress == -1:
        return 1.0
    if video.progress <= 0:
        return 0.0
    if video.duration <= 0:
        return 0.5
    return min(1.0, video.progress / video.duration)


def interest(video: Video | WatchRecord) -> float:
    """The engagement label of one behaviour record (see module doc)."""
    if video.liked or video.coined or video.faved:
        return 1.0
    fraction = watched_fraction(video)
    return 0.0 if fraction < ABANDON_FRACTION else fraction


def watch_events(behaviour: Iterable[Video | WatchRecord]) -> list:
    """The timed watches (view_at > 0), oldest first — the user's watch sequence."""
    return sorted((v for v in behaviour if v.view_at > 0), key=lambda v: (v.view_at, v.bvid))


def build_samples(behaviour: Sequence[Video], feedback: Sequence[tuple[Video, int]],
                  pool: Sequence[Video], *, rng: np.random.Generator,
                  pool_ratio: float = 1.0, min_pool: int = 50,
                  impressions: Sequence[Impression] = (), now: float | None = None,
                  mutes: Mutes = Mutes()) -> list[Sample]:
    """All labelled samples of one user (see module doc), in no particular order.

    Pool negatives: up to ``max(min_pool, pool_ratio × behaviour)`` unwatched pool videos, drawn
    with ``rng``, never a video that was shown. Implicit negatives: the impressions judged at
    ``now`` (default: the current time). ``mutes``: see the module doc.
    """
    voted = {video.bvid: value for video, value in feedback if value}
    watch_times = [v.view_at for v in behaviour if v.view_at > 0]

    def random_anchor() -> float:
        return float(watch_times[rng.integers(len(watch_times))]) if watch_times else 0.0

    samples: list[Sample] = []
    for video in behaviour:
        if video.bvid in voted:
            continue
        if video.view_at > 0:
            samples.append(Sample(video, interest(video), 1.0, float(video.view_at), "history"))
        else:
            samples.append(Sample(video, interest(video), 1.0, random_anchor(), "untimed"))
    seen_feedback: set[str] = set()
    for video, value in feedback:
        if not value or video.bvid in seen_feedback:
            continue
        seen_feedback.add(video.bvid)
        target = 1.0 if voted[video.bvid] > 0 else 0.0
        samples.append(Sample(video, target, FEEDBACK_WEIGHT, AFTER_EVERYTHING, "feedback"))
    known = {v.bvid for v in behaviour} | set(voted)
    judged = judge(impressions, behaviour, feedback, now=time.time() if now is None else now)
    for impression in implicit_negatives(judged):
        if impression.bvid not in known:
            samples.append(Sample(impression.video, 0.0, IMPLICIT_WEIGHT,
                                  float(impression.shown_at), "impression"))
    known |= {outcome.impression.bvid for outcome in judged}
    unwatched: dict[str, Video] = {}
    for video in pool:
        if video.bvid and video.bvid not in known:
            unwatched.setdefault(video.bvid, video)
    candidates = [video for video in unwatched.values() if not mutes.hides(video)]
    wanted = min(len(candidates), max(min_pool, int(pool_ratio * len(behaviour))))
    if wanted:
        for index in sorted(rng.choice(len(candidates), size=wanted, replace=False)):
            samples.append(Sample(candidates[index], 0.0, 1.0, random_anchor(), "pool"))
    if mutes:
        samples = [muted(sample) if mutes.hides(sample.video) and not (
            sample.source == "feedback" and sample.positive) else sample for sample in samples]
        samples += [Sample(video, 0.0, MUTE_WEIGHT, random_anchor(), "pool")
                    for video in unwatched.values() if mutes.hides(video)]
    return samples


def muted(sample: Sample) -> Sample:
    """The sample as a mute's negative (target 0, weight at least MUTE_WEIGHT)."""
    return replace(sample, target=0.0, weight=max(sample.weight, MUTE_WEIGHT))


def time_split(samples: Sequence[Sample], holdout_fraction: float
               ) -> tuple[list[Sample], list[Sample], float]:
    """Split at the time before which (1 - holdout_fraction) of the timed watches happened.

    Returns (earlier, later, split_time). Pool and impression negatives fall on either side by
    their anchor; untimed and feedback samples always stay on the earlier (training) side, so
    explicit feedback is always learnt from.
    """
    times = sorted(s.anchor for s in samples if s.source == "history")
    if len(times) < 2 or holdout_fraction <= 0:
        return list(samples), [], math.inf
    cut = int(round(len(times) * (1.0 - holdout_fraction)))
    cut = min(max(cut, 1), len(times) - 1)
    split_time = times[cut]
    earlier, later = [], []
    for sample in samples:
        timed = sample.source in ("history", "pool", "impression")
        (later if timed and sample.anchor >= split_time else earlier).append(sample)
    return earlier, later, split_time


def binary_labels(samples: Sequence[Sample]) -> np.ndarray:
    """1 for positives, 0 otherwise (the classes of metrics and class balancing)."""
    return np.array([1 if s.positive else 0 for s in samples], dtype=np.int64)
