"""Title tokenization for features, baselines, reasons and the taste card: jieba's segmentation
(``recommender.segmenter``, the same tokens as ``jieba.cut``) with stop words and punctuation
dropped, cached per title. Tokens kept with a behaviour record (``pack_tokens``) carry a tag of
how they were made, so tokens of another jieba dictionary or other rules are never used.

The segmenter is loaded once per process: ``warm_up`` starts the load in a daemon thread at
start-up (the composition root calls it with the data directory's cache folder); a tokenization
that comes first waits for that load (or does it itself, when nothing started one).
"""
from __future__ import annotations

import functools
import hashlib
import logging
import re
import sys
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Iterable

from recommender.segmenter import Segmenter, fingerprint

logger = logging.getLogger(__name__)

STOPWORDS = frozenset(
    "的 了 是 我 你 他 她 它 们 在 和 与 就 都 也 又 还 吗 吧 啊 呢 哦 么 这 那 一个 什么 怎么 为什么 "
    "没有 不是 就是 可以 自己 我们 你们 他们 这个 那个 一下 一起 真的 如何 到底 竟然 居然 终于 "
    "the a an of to and in on for is are with".split())
# a token worth keeping: CJK text, or a latin/digit word with at least one letter
_KEEP = re.compile(r"[\u4e00-\u9fff]|[A-Za-z]")
_MAX_TITLE_CHARS = 200
CACHED_TITLES = 16_384      # candidates' titles; the history's are stored with the records
DEFAULT_CACHE_DIR = Path(tempfile.gettempdir()) / "bilirec"


class _SegmenterLoader:
    """The process's one segmenter, loaded at most once (not user data)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._segmenter: Segmenter | None = None
        self._started = False

    def warm_up(self, cache_dir: Path | None) -> threading.Thread | None:
        with self._lock:
            if self._started:
                return None
            self._started = True
        thread = threading.Thread(target=self._warm, args=(cache_dir,),
                                  name="segmenter-warm-up", daemon=True)
        thread.start()
        return thread

    def _warm(self, cache_dir: Path | None) -> None:
        try:
            self.get(cache_dir)
        except Exception:  # noqa: BLE001 - the first tokenization will retry and report
            logger.exception("loading the title segmenter failed")

    def get(self, cache_dir: Path | None = None) -> Segmenter:
        if self._segmenter is None:
            with self._lock:
                self._started = True
                if self._segmenter is None:
                    self._segmenter = Segmenter.cached(cache_dir or DEFAULT_CACHE_DIR)
        return self._segmenter

    @property
    def loaded(self) -> bool:
        return self._segmenter is not None


class _TitleCache:
    """An LRU of title -> tokens, shared by threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._tokens: OrderedDict[str, tuple[str, ...]] = OrderedDict()

    def get(self, title: str) -> tuple[str, ...] | None:
        with self._lock:
            tokens = self._tokens.get(title)
            if tokens is not None:
                self._tokens.move_to_end(title)
            return tokens

    def put(self, title: str, tokens: tuple[str, ...]) -> None:
        with self._lock:
            self._tokens[title] = tokens
            self._tokens.move_to_end(title)
            while len(self._tokens) > self._size:
                self._tokens.popitem(last=False)


_loader = _SegmenterLoader()
_cache = _TitleCache(CACHED_TITLES)


def warm_up(cache_dir: Path | None = None) -> threading.Thread | None:
    """Load the segmenter now, in a daemon thread, so that no user's first request pays for
    it: call at start-up, with where to keep its cache file (default: the temp directory).
    None when a load was started already."""
    return _loader.warm_up(cache_dir)


def segmenter_loaded() -> bool:
    """Whether this process has its segmenter in memory."""
    return _loader.loaded


def title_tokens(title: str) -> tuple[str, ...]:
    """The meaningful jieba tokens of a title, lower-cased, in order, duplicates removed.

    Punctuation, single characters and stop words are dropped; an empty title gives ().
    """
    return titles_tokens([title])[0]


def titles_tokens(titles: Iterable[str]) -> list[tuple[str, ...]]:
    """``title_tokens`` of each title; the uncached ones are segmented together (faster)."""
    titles = list(titles)
    found = [_cache.get(title) if title else () for title in titles]
    missing = list(dict.fromkeys(t for t, tokens in zip(titles, found) if tokens is None))
    if missing:
        cuts = _loader.get().cut_many([title[:_MAX_TITLE_CHARS] for title in missing])
        fresh = {title: _meaningful(cut) for title, cut in zip(missing, cuts)}
        for title, tokens in fresh.items():
            _cache.put(title, tokens)
        found = [fresh[t] if tokens is None else tokens for t, tokens in zip(titles, found)]
    return found


def watch_titles_tokens(watches: Iterable) -> list[tuple[str, ...]]:
    """``title_tokens`` of each watch's title: the tokens stored with a watch record when
    valid (``unpack_tokens``), the others segmented together."""
    watches = list(watches)
    stored = [unpack_tokens(getattr(watch, "title_tokens", None)) for watch in watches]
    missing = [i for i, tokens in enumerate(stored) if tokens is None]
    for i, tokens in zip(missing, titles_tokens(watches[i].title for i in missing)):
        stored[i] = tokens
    return stored


@functools.cache
def tokens_tag() -> str:
    """Names how tokens are made: the segmenter's data and this module's rules."""
    rules = "|".join([fingerprint(), " ".join(sorted(STOPWORDS)), _KEEP.pattern,
                      str(_MAX_TITLE_CHARS)])
    return hashlib.sha256(rules.encode()).hexdigest()[:8]


def pack_tokens(tokens: tuple[str, ...]) -> str:
    """Tokens as text to store (tokens hold no spaces), tagged with ``tokens_tag``."""
    return " ".join((tokens_tag(), *tokens))


def tokens_current(text: str | None) -> bool:
    """Whether stored tokens are there and were made as ``title_tokens`` makes them now."""
    if not text:
        return False
    tag = tokens_tag()
    return text.startswith(tag) and (len(text) == len(tag) or text[len(tag)] == " ")


def unpack_tokens(text: str | None) -> tuple[str, ...] | None:
    """Stored tokens, or None when there are none or they were made another way."""
    if not text:
        return None
    tag, *tokens = text.split(" ")
    return tuple(tokens) if tag == tokens_tag() else None


def _meaningful(tokens: list[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for token in tokens:
        token = token.strip().lower()
        if len(token) < 2 or token in STOPWORDS or not _KEEP.search(token):
            continue
        seen.setdefault(sys.intern(token), None)   # one string per word across the cache
    return tuple(seen)
