"""``Recommender``: the thin layer over Storage that trains in a worker process and ranks in-process.

Training runs on a Celery worker when a queue is configured (recommender.queue), else (and while
its broker is unreachable) in a spawned worker process (kept alive, so TensorFlow is imported
once) with a time cap: the worker stops its epochs at the cap, and a job that overruns the cap
plus a grace period gets its worker terminated; the previous model stays in use either way.
Serving loads the user's saved model in this process into the numpy forward pass
(``models.numpy_scorer``): the serving process never imports TensorFlow or Keras, and loading a
model costs milliseconds.

Serving cache: per user (LRU over users, bounded by the estimated bytes it holds), the loaded
model, the history's feature context (with every recorded BV id), the disliked set, the mutes
(recommender.mutes, read with the feedback) and the sent sets, each tagged with the storage
revision of the part of the user's data it came from (``Storage.user_revisions``). Every ``rank``
call reads the revisions first (one indexed query) and re-reads exactly the parts that changed,
so a new 👎 or mute, a video sent, a history sync or a new model is seen by the very next call and
no caller has to invalidate anything.

A miss is cheap on purpose (~20 ms of CPU for a 1,000-record user, docs/PERFORMANCE.md): the
history is read as ``WatchRecord`` rows (only the fields the context needs, from columns with a
covering index), the model file is an uncompressed .npz, and a served model keeps only the
embedding rows its vocabularies address and drops the TF-IDF weights unless TF-IDF serves.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Hashable, TypeVar

from models.numpy_scorer import NumpyScorer
from recommender import jobs
from recommender.jobs import Commit
from recommender.features import Vocabulary, WatchContext, encode_candidates, serving_context
from recommender.labels import POSITIVE_THRESHOLD, interest
from recommender.mutes import Mutes
from recommender.ranking import (affinity_drivers, fallback_rank, model_drivers, quality_rank,
                                 rating_of, select_top, usable_candidates)
from recommender.reasons import candidate_zone_shares, reasons_for
from recommender.results import RankedList, Recommendation, TrainingReport
from recommender.selection import (MIN_POSITIVES, REASON_FEW_POSITIVES, ServingPlan,
                                   simple_scores)
from recommender.text import pack_tokens, titles_tokens, tokens_current
from recommender.training import TrainingResult, plan_path_for, vocab_path_for
from recommender.worker import init_worker, read_progress, run_training
from domain import Video
from storage.errors import StorageError

if TYPE_CHECKING:
    from recommender.queue import QueuedTraining, TrainingQueue

logger = logging.getLogger(__name__)
T = TypeVar("T")

STARTUP_GRACE_S = 90.0      # worker start + TensorFlow import + first trace, on top of the cap
# default byte budget of the serving cache, in RSS. A user with 1,000 records adds ~0.38 MB of
# RSS (recorded BV ids ~35 KB, context ~55 KB, trimmed model with vocabularies ~130 KB, ~1 KB
# per encoded candidate, and allocator overhead), so 64 MB keeps ~150 such users; a miss costs
# ~20 ms of CPU (see the module doc), so a bigger cache buys little and costs RSS
SERVING_CACHE_BYTES = 64 * 2**20
# bytes of Python objects, for the cache's estimates (tracemalloc on 1,000-record synthetic
# users): a recorded BV id in the set, a counter entry (keys are mostly shared: UP主 ids, and
# title words from the tokenizer's cache), a vocabulary word with its id, an encoded row
BVID_BYTES = 40
COUNTER_ENTRY_BYTES = 40
VOCAB_ENTRY_BYTES = 150
ROW_BYTES = 1000
ENTRY_BYTES = 100            # anything else: an entry of a set or dict
# the process's RSS grows by ~1.7x what tracemalloc counts (pymalloc arenas, the freed rows of
# each load): measured over 300 users ranked into an unbounded cache
RSS_PER_ALLOCATED_BYTE = 1.7
# a training claim outlives the longest training by this much (then a killed trainer's claim
# can be taken over)
CLAIM_GRACE_S = STARTUP_GRACE_S + 30.0
PROGRESS_POLL_S = 0.5       # how often a waiting training looks at its queue place / epochs
QUEUED, TRAINING = "queued", "training"
# progress(stage, done, total): (QUEUED, place in the queue, 0) while waiting for a worker,
# (TRAINING, epochs done, epochs planned) once it runs (0, 0 while the worker starts)
TrainingProgress = Callable[[str, int, int], None]


@dataclass
class LoadedModel:
    """A user's trained plan ready to serve: the model file it came from, vocabularies, the
    serving plan, and the numpy scorer (only when the plan serves the model)."""

    path: Path
    vocab: Vocabulary
    plan: ServingPlan
    scorer: object | None


@dataclass(frozen=True)
class ServingContext:
    """The user's history as ranking needs it, under one model's vocabularies: every recorded
    BV id, the watch context, and the context's encoded-candidate memo."""

    bvids: frozenset[str]
    context: WatchContext
    rows: dict             # encode_candidates' memo for this context


def approx_nbytes(value: object) -> int:
    """The RSS a cached serving value adds, roughly (for the cache's budget)."""
    return int(_allocated_bytes(value) * RSS_PER_ALLOCATED_BYTE)


def _allocated_bytes(value: object) -> int:
    if isinstance(value, ServingContext):
        return (len(value.bvids) * BVID_BYTES + value.context.n_entries() * COUNTER_ENTRY_BYTES
                + len(value.rows) * ROW_BYTES)
    if isinstance(value, LoadedModel):
        vocab, plan = value.vocab, value.plan
        entries = len(vocab.tags) + len(vocab.authors) + len(vocab.tokens)
        if plan.tfidf is not None:
            entries += len(plan.tfidf.idf)
        scorer_bytes = value.scorer.nbytes if value.scorer is not None else 0
        return entries * VOCAB_ENTRY_BYTES + scorer_bytes
    if isinstance(value, (frozenset, set, dict)):
        return len(value) * ENTRY_BYTES
    return ENTRY_BYTES


class ServingCache:
    """Per-user values derived from stored data, each valid for one revision of its source.

    ``get`` returns the cached value while the revision it was stored with equals the current
    one, else calls ``load`` and stores the result. LRU over users, bounded by ``max_bytes`` of
    estimated size (``approx_nbytes``; a user's size is re-estimated whenever they are used, so
    the encoded-candidate memos growing between calls are counted). Thread-safe (two threads
    missing at once both load, and the later store wins; both values are correct).
    """

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._users: OrderedDict[int, dict[str, tuple[Hashable, object]]] = OrderedDict()
        self._sizes: dict[int, int] = {}
        self.nbytes = 0
        self._lock = threading.Lock()

    def get(self, tg_id: int, key: str, revision: Hashable, load: Callable[[], T]) -> T:
        with self._lock:
            entry = self._users.get(tg_id)
            if entry is not None:
                self._users.move_to_end(tg_id)
                hit = entry.get(key)
                if hit is not None and hit[0] == revision:
                    self._measure(tg_id)
                    return hit[1]
        value = load()
        with self._lock:
            self._users.setdefault(tg_id, {})[key] = (revision, value)
            self._users.move_to_end(tg_id)
            self._measure(tg_id)
            while self.nbytes > self._max_bytes and self._users:
                oldest, _ = self._users.popitem(last=False)
                self.nbytes -= self._sizes.pop(oldest, 0)
        return value

    def _measure(self, tg_id: int) -> None:
        size = sum(approx_nbytes(value) for _, value in self._users[tg_id].values())
        self.nbytes += size - self._sizes.get(tg_id, 0)
        self._sizes[tg_id] = size

    def __len__(self) -> int:
        return len(self._users)

    def drop(self, tg_id: int) -> None:
        with self._lock:
            self._users.pop(tg_id, None)
            self.nbytes -= self._sizes.pop(tg_id, 0)

    def clear(self) -> None:
        with self._lock:
            self._users.clear()
            self._sizes.clear()
            self.nbytes = 0


class Recommender:
    """Per-user training and ranking over a Storage (see docs/CONTRACTS.md, recommender/)."""

    def __init__(self, storage, *, max_workers: int = 1, time_cap_s: float = 120.0,
                 seed: int = 1234, cache_bytes: int = SERVING_CACHE_BYTES,
                 queue: "TrainingQueue | None" = None) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.storage = storage
        self.max_workers = max_workers
        self.time_cap_s = float(time_cap_s)
        self.seed = seed
        # Celery trainings (recommender.queue); None = this process's worker pool only
        self.queue = queue
        self._cache = ServingCache(cache_bytes)
        self._load_lock = threading.Lock()
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._executor_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_workers)
        self._queue: list[int] = []   # users whose training waits for a worker, in order
        self._queue_lock = threading.Lock()
        self._closed = False
        # called (from the ranking thread) with tg_id when a user's model file was damaged and
        # set aside; the bot schedules a retrain with it
        self.on_model_unreadable: Callable[[int], None] | None = None

    # --- training -------------------------------------------------------------------------

    def _pool(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._executor_lock:
            if self._closed:
                raise RuntimeError("the recommender is closed")
            if self._executor is None:
                self._executor = concurrent.futures.ProcessPoolExecutor(
                    max_workers=self.max_workers,
                    mp_context=multiprocessing.get_context("spawn"), initializer=init_worker)
            return self._executor

    def _kill_pool(self) -> None:
        """Terminate the worker processes (after a hang); a new pool starts on the next job."""
        with self._executor_lock:
            executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = list(getattr(executor, "_processes", {}).values())
        for process in processes:
            process.terminate()
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(timeout=5)

    def train(self, tg_id: int, progress: TrainingProgress | None = None, *,
              commit: Commit | None = None) -> TrainingReport:
        """Train the user's model and choose what serves; blocking.

        With a training queue (Celery) a worker trains; when the broker is unreachable, or
        without a queue, a worker process of this one does, under the user's training claim
        (recommender.jobs). Too few engaged watches to train on: nothing starts, the content
        ranker keeps serving and the report says why (the same figures /status shows).
        ``progress`` (called from this thread) hears the place in the queue and the epochs of
        a training in this process (see TrainingProgress); a queued one reports none.
        ``commit`` (recommender.jobs.Commit) decides whether a model trained in this process is
        registered or discarded; a worker registers under the user's training claim instead.
        """
        started = self._start(tg_id, progress, commit)
        if isinstance(started, TrainingReport):
            return started
        return self.queue.collect(started, max(0.0, started.deadline - time.monotonic()))

    async def train_async(self, tg_id: int, progress: TrainingProgress | None = None, *,
                          commit: Commit | None = None) -> TrainingReport:
        """``train`` for the event loop: a queued training's report is awaited without holding
        a thread (recommender.queue.TrainingQueue.wait), so many trainings can be in flight.
        ``progress`` is called from a worker thread, as in ``train``."""
        started = await asyncio.to_thread(self._start, tg_id, progress, commit)
        if isinstance(started, TrainingReport):
            return started
        return await self.queue.wait(started)

    def _start(self, tg_id: int, progress: TrainingProgress | None,
               commit: Commit | None = None) -> "TrainingReport | QueuedTraining":
        """Queue the user's training (a handle to wait on), or run it here (its report)."""
        behaviour = self.storage.load_behaviour(tg_id)
        short = jobs.shortfall(behaviour)
        if short is not None:
            return short
        if self.queue is not None:
            queued = self.queue.submit(tg_id, len(behaviour))
            if queued is not None:
                return queued
        owner = jobs.new_owner("bot")
        if not self.storage.claim_training(tg_id, owner, self.time_cap_s + CLAIM_GRACE_S):
            return jobs.busy_report(len(behaviour))
        try:
            job = jobs.gather(self.storage, tg_id, behaviour)
            result = self._run_in_pool(job, progress)
            if isinstance(result, TrainingReport):
                return result
            # no forget(): the registration bumps the model revision, so the next rank reloads
            return jobs.record(self.storage, job, result, owner, commit)
        finally:
            self.storage.release_training(tg_id, owner)

    @property
    def training_delayed(self) -> bool:
        """Whether trainings are meant for workers whose broker is unreachable right now."""
        return self.queue is not None and self.queue.unreachable

    def _wait_for_slot(self, tg_id: int, progress: TrainingProgress | None) -> None:
        """Take a worker slot, reporting the place in the queue while waiting."""
        with self._queue_lock:
            self._queue.append(tg_id)
        try:
            while not self._slots.acquire(timeout=PROGRESS_POLL_S if progress else None):
                with self._queue_lock:
                    place = self._queue.index(tg_id) + 1
                progress(QUEUED, place, 0)
        finally:
            with self._queue_lock:
                self._queue.remove(tg_id)

    def _await_result(self, future: concurrent.futures.Future, progress_path: Path,
                      progress: TrainingProgress | None) -> TrainingResult:
        """The job's result, reporting its epochs (the last one also when the job ended
        between two looks); TimeoutError past the cap plus grace."""
        deadline = time.monotonic() + self.time_cap_s + STARTUP_GRACE_S
        shown = None

        def report_epochs() -> None:
            nonlocal shown
            epochs = read_progress(progress_path)
            if progress and epochs is not None and epochs != shown:
                shown = epochs
                progress(TRAINING, *epochs)
        if progress:
            progress(TRAINING, 0, 0)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise concurrent.futures.TimeoutError()
            try:
                result = future.result(timeout=min(remaining, PROGRESS_POLL_S) if progress
                                       else remaining)
            except concurrent.futures.TimeoutError:
                report_epochs()
                continue
            report_epochs()
            return result

    def _run_in_pool(self, job: jobs.TrainingJob, progress: TrainingProgress | None
                     ) -> TrainingResult | TrainingReport:
        """Run the job in this process's worker pool once a slot is free; a report when it
        did not finish."""
        progress_path = Path(job.out_dir) / "training-progress.json"
        progress_path.unlink(missing_ok=True)
        self._wait_for_slot(job.tg_id, progress)
        try:
            return self._train_in_slot(job, progress_path, progress)
        finally:
            self._slots.release()
            progress_path.unlink(missing_ok=True)

    def _train_in_slot(self, job: jobs.TrainingJob, progress_path: Path,
                       progress: TrainingProgress | None) -> TrainingResult | TrainingReport:
        """The training job once a worker slot is held (see ``_run_in_pool``)."""
        n_records, tg_id = job.n_records, job.tg_id
        try:
            future = self._pool().submit(run_training, job.data, job.out_dir, self.seed,
                                         self.time_cap_s, job.previous_model,
                                         str(progress_path) if progress else None)
        except RuntimeError as exc:  # closed, or a broken pool that cannot take jobs
            logger.warning("training of user %s not started: %s", tg_id, exc)
            self._kill_pool()
            return TrainingReport(n_records, False, {}, "training could not start")
        try:
            return self._await_result(future, progress_path, progress)
        except concurrent.futures.TimeoutError:
            logger.warning("training of user %s overran its time cap; worker terminated",
                           tg_id)
            self._kill_pool()
            return TrainingReport(n_records, False, {},
                                  "training timed out; the previous model stays")
        except Exception as exc:  # a crashed worker or a bug in the job: keep the old model
            logger.exception("training of user %s failed", tg_id)
            if isinstance(exc, concurrent.futures.process.BrokenProcessPool):
                self._kill_pool()
            return TrainingReport(n_records, False, {},
                                  f"training failed ({type(exc).__name__}); "
                                  "the previous model stays")

    # --- serving --------------------------------------------------------------------------

    def forget(self, tg_id: int) -> None:
        """Drop everything cached for the user (after /logout; a retrain is noticed anyway)."""
        self._cache.drop(tg_id)

    def _latest_model(self, tg_id: int) -> LoadedModel | None:
        """The user's registered model, loaded; None without one or when it is unreadable.

        Any failure to load (truncated zip, bad JSON, missing file, ...) means the content
        fallback for this user: the damaged files are set aside once (renamed ``*.broken``),
        logged once, and ``on_model_unreadable`` asks for a retrain."""
        record = self.storage.latest_model(tg_id)
        if record is None:
            return None
        path = Path(record.path)
        with self._load_lock:
            try:
                return self._load(path)
            except Exception as exc:  # noqa: BLE001 - whatever broke, this user falls back
                if not path.exists() and path.with_name(path.name + ".broken").exists():
                    return None  # set aside before (e.g. before a restart); retrain pending
                logger.warning("model of user %s unreadable (%s); set aside, content fallback "
                               "until retrained", tg_id, type(exc).__name__)
                for damaged in (path, vocab_path_for(path), plan_path_for(path)):
                    try:
                        damaged.replace(damaged.with_name(damaged.name + ".broken"))
                    except OSError as move_error:  # missing, or the directory is read-only
                        logger.debug("could not set %s aside: %s", damaged.name, move_error)
        if self.on_model_unreadable is not None:
            try:
                self.on_model_unreadable(tg_id)
            except Exception:  # noqa: BLE001 - ranking must go on
                logger.exception("retrain request for user %s failed", tg_id)
        return None

    @staticmethod
    def _load(path: Path) -> LoadedModel:
        vocab = Vocabulary.from_json(vocab_path_for(path).read_text(encoding="utf-8"))
        plan = ServingPlan.from_json(plan_path_for(path).read_text(encoding="utf-8"))
        if plan.served != "tfidf":      # its weights only matter when it serves
            plan = replace(plan, tfidf=None)
        if plan.served != "model":   # a simple ranker serves: no model weights needed
            return LoadedModel(path, vocab, plan, None)
        return LoadedModel(path, vocab, plan,
                           NumpyScorer.load(path, embedding_rows=vocab.table_rows()))

    def _read_context(self, tg_id: int, model: LoadedModel | None) -> ServingContext:
        """The user's recorded BV ids and watch context, read from storage now. Titles whose
        tokens are not stored yet (new records, or made another way) are tokenized once and
        their tokens stored, so the next read of this context tokenizes nothing."""
        records = self.storage.load_watch_records(tg_id)
        missing = [i for i, r in enumerate(records) if not tokens_current(r.title_tokens)]
        if missing:
            tokens = [pack_tokens(t) for t in titles_tokens(records[i].title for i in missing)]
            for i, packed in zip(missing, tokens):
                records[i] = records[i]._replace(title_tokens=packed)
            try:
                self.storage.save_title_tokens(
                    tg_id, [(records[i].bvid, records[i].title, records[i].title_tokens)
                            for i in missing])
            except StorageError as error:   # only a faster next read is lost
                logger.warning("could not store title tokens of user %s: %s", tg_id, error)
        vocab = model.vocab if model is not None else Vocabulary()
        return ServingContext(frozenset(r.bvid for r in records),
                              serving_context(records, vocab), {})

    def _serving_state(self, tg_id: int
                       ) -> tuple[dict[str, int], LoadedModel | None, ServingContext]:
        """The user's revisions, model and context, each from the cache when still current."""
        # revisions first: a write after this read makes the next call re-read that part
        revisions = self.storage.user_revisions(tg_id)
        model = self._cache.get(tg_id, "model", revisions["model"],
                                lambda: self._latest_model(tg_id))
        serving = self._cache.get(tg_id, "context", (revisions["behaviour"], revisions["model"]),
                                  lambda: self._read_context(tg_id, model))
        return revisions, model, serving

    def serving_summary(self, tg_id: int) -> dict:
        """What serves the user and why, as flat figures (for /status): the latest plan's
        metrics, or, before any plan, whether the data suffice to train one."""
        record = self.storage.latest_model(tg_id)
        if record is not None and "served" in record.metrics:
            return {**record.metrics, "min_positives": MIN_POSITIVES}
        behaviour = self.storage.load_behaviour(tg_id)
        positives = sum(interest(v) >= POSITIVE_THRESHOLD for v in behaviour)
        reason = REASON_FEW_POSITIVES if positives < MIN_POSITIVES else "pending"
        return {"served": "content", "served_reason": reason, "positives": positives,
                "min_positives": MIN_POSITIVES}

    def prepare(self, tg_id: int) -> None:
        """Load the user's model and serving context now (after a training), so the next
        ranking does not pay for reading the history, loading the model and tracing it."""
        self._serving_state(tg_id)

    def rank(self, tg_id: int | None, candidates: list[Video], n: int, *, channel: str,
             exclude: set[str] | frozenset[str] = frozenset()) -> RankedList:
        """Rank candidates for the user (see module doc and docs/CONTRACTS.md)."""
        n = max(0, int(n))
        if tg_id is None:
            usable = usable_candidates(candidates, set(exclude))
            return RankedList(quality_rank(usable, n), provisional=True, ranker="quality")
        revisions, model, serving = self._serving_state(tg_id)
        disliked = self._cache.get(
            tg_id, "disliked", revisions["feedback"],
            lambda: frozenset(b for b, v in self.storage.load_feedback(tg_id).items() if v < 0))
        sent = self._cache.get(tg_id, f"sent:{channel}", revisions["sent"],
                               lambda: frozenset(self.storage.sent_bvids(tg_id, channel)))
        mutes = self._cache.get(tg_id, "mutes", revisions["feedback"],
                                lambda: Mutes.of(self.storage.load_mutes(tg_id)))
        usable = [video for video in usable_candidates(
            candidates, serving.bvids | disliked | sent | set(exclude)) if not mutes.hides(video)]
        if not usable:
            return RankedList([], provisional=model is None,
                              ranker="content" if model is None else model.plan.served)
        context = serving.context
        zone_shares = candidate_zone_shares(candidates)     # of the whole list, as passed
        if model is None:
            return RankedList(fallback_rank(usable, context, n, zone_shares, memo=serving.rows),
                              provisional=True, ranker="content")
        plan = model.plan
        if model.scorer is not None:
            inputs = encode_candidates(usable, context, model.vocab, serving.rows)
            scores = model.scorer(inputs)
        else:
            scores = simple_scores(plan.served, usable, context, plan.fields, plan.tfidf,
                                   serving.rows)
        calibrated = plan.calibrator().apply(scores)
        ratings = [rating_of(p) for p in calibrated]
        # the raw scores order the list: calibration is increasing, so the ratings come out
        # sorted too, and scores beyond the bounded probabilities keep their order
        chosen = select_top(usable, [float(x) for x in scores], n)
        if model.scorer is not None:
            drivers = model_drivers(inputs, chosen, model.scorer)
        elif plan.served == "tfidf":
            drivers = [None] * len(chosen)     # title words: every kind the history supports
        else:
            drivers = [affinity_drivers(usable[i], context) for i in chosen]
        items = [Recommendation(usable[i], ratings[i],
                                reasons_for(usable[i], context, zone_shares, kinds),
                                score=float(calibrated[i]))
                 for i, kinds in zip(chosen, drivers)]
        return RankedList(items, provisional=False, ranker=plan.served)

    def close(self) -> None:
        """Stop the worker process, close the queue and drop cached models."""
        with self._executor_lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        if self.queue is not None:
            self.queue.close()
        self._cache.clear()
