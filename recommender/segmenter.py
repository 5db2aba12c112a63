"""jieba's default segmentation (``jieba.cut(text)``: accurate mode with the HMM) over a compact
copy of its dictionary, without importing jieba.

jieba keeps its dictionary as a dict of ~500,000 words and prefixes: ~85 MB of RSS and ~0.8 s to
load (from its own marshal cache; 1-3 s without it), plus ~0.15 s to import. This module keeps
the same entries as sorted numpy arrays, one per word length (entries of up to 4 characters as
64-bit integers): ~11 MB in memory, ~20 ms to load. The dictionary is looked up for a batch of
texts at once (``cut_many``: as fast as jieba per text); the DAG, the route and the HMM for
unknown words are jieba's own algorithms, step by step, so the tokens are jieba's (the test
suite checks it against jieba itself: ``tests/recommender/test_segmenter.py``).

The compact copy is made once from the installed jieba's data files and kept in a cache file
named by a fingerprint of those files (so a jieba upgrade makes a new one). Making it needs jieba's
full dictionary in memory, so ``Segmenter.cached`` makes it in a child process
(``python -m recommender.segmenter PATH``) and the caller's memory never holds it.
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from math import log
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

FORMAT = 2                          # of the cache file; part of its name
PACKED_MAX_LEN = 4                  # fragments this short are looked up as 64-bit integers
MIN_FLOAT = -3.14e100               # jieba.finalseg's floor for a missing probability
_STATES = "BMES"
_PREV_STATES = {"B": "ES", "M": "MB", "S": "SE", "E": "BM"}     # jieba.finalseg.PrevStatus
# jieba's block patterns: jieba.re_han_default / re_skip_default, jieba.finalseg.re_han / re_skip
_RE_BLOCK = re.compile("([\u4E00-\u9FD5a-zA-Z0-9+#&\\._%\\-]+)", re.U)
_RE_SPACE = re.compile("(\r\n|\\s)", re.U)
_RE_HMM_HAN = re.compile("([\u4E00-\u9FD5]+)")
_RE_HMM_SKIP = re.compile("([a-zA-Z0-9]+(?:\\.\\d+)?%?)")
_DATA_FILES = ("dict.txt", "finalseg/prob_start.py", "finalseg/prob_trans.py",
               "finalseg/prob_emit.py")


class Segmenter:
    """Cuts text as ``jieba.cut`` does; immutable once made, safe to share between threads."""

    def __init__(self, packed: dict[int, tuple[np.ndarray, np.ndarray]],
                 words: dict[int, np.ndarray], freqs: dict[int, np.ndarray], total: int,
                 start_p: dict[str, float], trans_p: dict[str, dict[str, float]],
                 emit_p: dict[str, dict[str, float]]) -> None:
        self._packed = packed        # length <= PACKED_MAX_LEN -> (sorted keys, frequencies)
        self._words = words          # longer: length -> sorted unicode array of the entries
        self._freqs = freqs          # ... and their frequencies (0 = a prefix only)
        self._max_len = max((*packed, *words))
        self._total = total
        self._log_total = log(total)
        self._start_p, self._trans_p, self._emit_p = start_p, trans_p, emit_p

    # --- making, saving, loading ---------------------------------------------------------

    @classmethod
    def from_jieba(cls) -> Segmenter:
        """Made from the installed jieba (imports it and reads its whole dictionary)."""
        import jieba
        import jieba.finalseg as finalseg

        with open(jieba.dt.get_dict_file().name, "rb") as dictionary:
            freq, total = jieba.Tokenizer.gen_pfdict(dictionary)
        by_length: dict[int, list[tuple[str, int]]] = {}
        for word, count in freq.items():
            by_length.setdefault(len(word), []).append((word, count))
        packed, words, freqs = {}, {}, {}
        for length, entries in by_length.items():
            entries.sort()
            strings = np.array([w for w, _ in entries], dtype=f"<U{length}")
            counts = np.array([c for _, c in entries], dtype=np.int32)
            if length <= PACKED_MAX_LEN:
                packed[length] = _packed_entries(strings, counts)
            else:
                words[length], freqs[length] = strings, counts
        return cls(packed, words, freqs, total, dict(finalseg.start_P),
                   {state: dict(row) for state, row in finalseg.trans_P.items()},
                   {state: dict(row) for state, row in finalseg.emit_P.items()})

    def save(self, path: Path) -> None:
        """Write to ``path`` atomically (an uncompressed .npz of plain arrays, no pickles)."""
        arrays: dict[str, np.ndarray] = {"total": np.array(self._total, dtype=np.int64)}
        for length, (keys, counts) in self._packed.items():
            arrays[f"keys_{length}"], arrays[f"counts_{length}"] = keys, counts
        for length, words in self._words.items():
            arrays[f"words_{length}"] = words
            arrays[f"freqs_{length}"] = self._freqs[length]
        arrays["start"] = np.array([self._start_p[s] for s in _STATES])
        arrays["trans"] = np.array([[self._trans_p[a].get(b, np.nan) for b in _STATES]
                                    for a in _STATES])
        for state in _STATES:
            emit = self._emit_p[state]
            arrays[f"emit_chars_{state}"] = np.array(list(emit), dtype="<U1")
            arrays[f"emit_logp_{state}"] = np.array(list(emit.values()))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                np.savez(out, **arrays)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> Segmenter:
        """Read a file written by ``save``."""
        with np.load(path, allow_pickle=False) as data:
            short = sorted(int(k.split("_")[1]) for k in data.files if k.startswith("keys_"))
            packed = {n: (data[f"keys_{n}"], data[f"counts_{n}"]) for n in short}
            lengths = sorted(int(k.split("_")[1]) for k in data.files if k.startswith("words_"))
            words = {n: data[f"words_{n}"] for n in lengths}
            freqs = {n: data[f"freqs_{n}"] for n in lengths}
            start = data["start"].tolist()
            trans = data["trans"].tolist()
            emit = {s: dict(zip(data[f"emit_chars_{s}"].tolist(), data[f"emit_logp_{s}"].tolist()))
                    for s in _STATES}
            total = int(data["total"])
        return cls(packed, words, freqs, total, dict(zip(_STATES, start)),
                   {a: {b: p for b, p in zip(_STATES, row) if p == p}        # NaN: no entry
                    for a, row in zip(_STATES, trans)}, emit)

    @classmethod
    def cached(cls, cache_dir: Path) -> Segmenter:
        """The segmenter of the installed jieba, from its cache file in ``cache_dir``; made (in
        a child process) and saved there first when missing, made again when unreadable, and
        used without a file when the folder cannot be written."""
        path = cache_dir / f"segmenter-{fingerprint()}.npz"
        if not path.exists():
            try:
                made = subprocess.run([sys.executable, "-m", "recommender.segmenter", str(path)],
                                      capture_output=True, text=True, timeout=300,
                                      cwd=Path(__file__).resolve().parent.parent)
                if made.returncode != 0:
                    logger.warning("making the segmenter's cache file in a child process "
                                   "failed: %s", made.stderr.strip()[-500:])
            except (OSError, subprocess.SubprocessError) as error:
                logger.warning("could not start a child process to make the segmenter's "
                               "cache file: %s", error)
        if path.exists():
            try:
                return cls.load(path)
            except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
                logger.warning("the segmenter's cache file %s is unreadable (%s); making it "
                               "again", path.name, error)
        segmenter = cls.from_jieba()
        try:
            segmenter.save(path)
        except OSError as error:
            logger.warning("could not write the segmenter's cache file: %s", error)
        return segmenter

    # --- cutting (jieba's algorithms) -----------------------------------------------------

    def cut(self, text: str) -> list[str]:
        """The tokens of ``jieba.cut(text)`` (accurate mode, HMM on), in order."""
        return self.cut_many([text])[0]

    def cut_many(self, texts: list[str]) -> list[list[str]]:
        """``cut`` of each text; faster per text than one by one, as the dictionary is looked
        up for all of them at once."""
        parts = [[part for part in _RE_BLOCK.split(text) if part] for text in texts]
        blocks = [part for text_parts in parts for part in text_parts if _RE_BLOCK.match(part)]
        cut_blocks = iter(self._cut_blocks(blocks))
        cuts = []
        for text_parts in parts:
            tokens: list[str] = []
            for part in text_parts:
                if _RE_BLOCK.match(part):
                    tokens.extend(next(cut_blocks))
                    continue
                for piece in _RE_SPACE.split(part):
                    if _RE_SPACE.match(piece):
                        tokens.append(piece)
                    else:
                        tokens.extend(piece)            # one token per character
            cuts.append(tokens)
        return cuts

    def _lookup(self, length: int, frags: list[str]) -> list[int]:
        """Each fragment's frequency (all ``length`` long), -1 when not in the dictionary."""
        words = self._words.get(length)
        if words is None:
            return [-1] * len(frags)
        query = np.array(frags, dtype=words.dtype)
        at = np.searchsorted(words, query)
        np.minimum(at, len(words) - 1, out=at)
        return np.where(words[at] == query, self._freqs[length][at], -1).tolist()

    def _cut_blocks(self, blocks: list[str]) -> list[list[str]]:
        """jieba's ``__cut_DAG`` of each block (text matched by its block pattern).

        The DAG (jieba's ``get_DAG``: at each position, the end of every dictionary word that
        starts there, or the position itself) is built for all blocks at once, joined by line
        breaks, which no block and no dictionary word holds. A fragment can only be in the
        dictionary when its one-shorter prefix is (jieba adds every word's prefixes), so each
        length is looked up, all at once, only where the shorter fragment was found: up to
        ``PACKED_MAX_LEN`` characters as packed integers for every position, longer ones as
        strings."""
        text = "\n".join(blocks)
        n = len(text)
        ends: list[list[int]] = [[] for _ in range(n)]
        weights: list[list[float]] = [[] for _ in range(n)]   # log P(word) of each end
        freqs: dict[str, int] = {}
        log_total = self._log_total
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        reach = np.ones(n, dtype=bool)            # the fragment so far is in the dictionary
        key = np.zeros(n, dtype=np.uint64)
        for length in range(1, min(PACKED_MAX_LEN, n) + 1):
            starts = n - length + 1               # positions a fragment this long fits at
            key = (key[:starts] << np.uint64(16)) | codes[length - 1:]
            reach = reach[:starts]
            entries = self._packed.get(length)
            if entries is None:
                reach = np.zeros(starts, dtype=bool)
                break
            keys, counts = entries
            at = np.searchsorted(keys, key)
            np.minimum(at, len(keys) - 1, out=at)
            reach &= keys[at] == key
            found = np.flatnonzero(reach)
            for k, freq in zip(found.tolist(), counts[at[found]].tolist()):
                freqs[text[k:k + length]] = freq
                if freq:
                    ends[k].append(k + length - 1)
                    weights[k].append(log(freq) - log_total)
        extending = np.flatnonzero(reach).tolist() if n > PACKED_MAX_LEN else []
        length = PACKED_MAX_LEN + 1
        while extending and length <= self._max_len:
            extending = [k for k in extending if k + length <= n]
            frags = [text[k:k + length] for k in extending]
            still = []
            for k, frag, freq in zip(extending, frags, self._lookup(length, frags)):
                if freq >= 0:
                    freqs[frag] = freq
                    if freq:
                        ends[k].append(k + length - 1)
                        weights[k].append(log(freq) - log_total)
                    still.append(k)
            extending = still
            length += 1
        cuts, start = [], 0
        for block in blocks:
            cuts.append(self._route_tokens(text, start, start + len(block), ends, weights,
                                           freqs))
            start += len(block) + 1
        return cuts

    def _route_tokens(self, text: str, start: int, end: int, ends: list[list[int]],
                      weights: list[list[float]], freqs: dict[str, int]) -> list[str]:
        """The tokens of ``text[start:end]`` along jieba's most probable route (``calc``: the
        same sums in the same order, the same ties) through the DAG; runs of single characters
        that are not a dictionary word go through the HMM."""
        unknown = 0.0 - self._log_total          # log(1) - log(total): a character alone
        best = {end: 0.0}
        step = {}
        for idx in range(end - 1, start - 1, -1):
            choices = ends[idx]
            if len(choices) > 1:
                best[idx], step[idx] = max((weight + best[x + 1], x)
                                           for x, weight in zip(choices, weights[idx]))
            elif choices:
                x = choices[0]
                best[idx], step[idx] = weights[idx][0] + best[x + 1], x
            else:
                best[idx], step[idx] = unknown + best[idx + 1], idx
        route = step
        tokens: list[str] = []
        x, buf = start, ""
        while x < end:
            y = route[x] + 1
            word = text[x:y]
            if y - x == 1:
                buf += word
            else:
                if buf:
                    tokens.extend(self._flush(buf, freqs))
                    buf = ""
                tokens.append(word)
            x = y
        if buf:
            tokens.extend(self._flush(buf, freqs))
        return tokens

    def _flush(self, buf: str, freqs: dict[str, int]) -> list[str]:
        """A run of single-character steps: itself when one character, its characters when it
        is a dictionary word, else the HMM's cut. The run lies in one block, so when it is in
        the dictionary the DAG's lookups reached it (each of its prefixes is in it too) and
        ``freqs`` holds it."""
        if len(buf) == 1:
            return [buf]
        if freqs.get(buf):
            return list(buf)
        return self._hmm_cut(buf)

    def _hmm_cut(self, sentence: str) -> list[str]:
        """jieba.finalseg.cut (with no forced splits)."""
        tokens: list[str] = []
        for block in _RE_HMM_HAN.split(sentence):
            if _RE_HMM_HAN.match(block):
                tokens.extend(self._viterbi_cut(block))
            else:
                tokens.extend(part for part in _RE_HMM_SKIP.split(block) if part)
        return tokens

    def _viterbi_cut(self, sentence: str) -> list[str]:
        """jieba.finalseg's ``__cut``: B/M/E/S tags by Viterbi, words from the tags."""
        tags = self._viterbi(sentence)
        tokens: list[str] = []
        begin = next_i = 0
        for i, char in enumerate(sentence):
            tag = tags[i]
            if tag == "B":
                begin = i
            elif tag == "E":
                tokens.append(sentence[begin:i + 1])
                next_i = i + 1
            elif tag == "S":
                tokens.append(char)
                next_i = i + 1
        if next_i < len(sentence):
            tokens.append(sentence[next_i:])
        return tokens

    def _viterbi(self, obs: str) -> list[str]:
        """jieba.finalseg.viterbi, the same operations in the same order (same ties)."""
        start_p, trans_p, emit_p = self._start_p, self._trans_p, self._emit_p
        probs = [{}]
        path = {}
        for y in _STATES:
            probs[0][y] = start_p[y] + emit_p[y].get(obs[0], MIN_FLOAT)
            path[y] = [y]
        for t in range(1, len(obs)):
            probs.append({})
            new_path = {}
            for y in _STATES:
                em_p = emit_p[y].get(obs[t], MIN_FLOAT)
                prob, state = max((probs[t - 1][y0] + trans_p[y0].get(y, MIN_FLOAT) + em_p, y0)
                                  for y0 in _PREV_STATES[y])
                probs[t][y] = prob
                new_path[y] = path[state] + [y]
            path = new_path
        _, state = max((probs[len(obs) - 1][y], y) for y in "ES")
        return path[state]


def _packed_entries(words: np.ndarray, freqs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entries of one length (at most ``PACKED_MAX_LEN``) as sorted integer keys, 16 bits a
    character, with their frequencies. Entries with a character beyond 16 bits are left out:
    the text looked up is block text, whose characters all fit."""
    codes = words.view(np.uint32).reshape(len(words), -1).astype(np.uint64)
    fits = (codes < 2 ** 16).all(axis=1)
    codes, freqs = codes[fits], freqs[fits]
    keys = np.zeros(len(codes), dtype=np.uint64)
    for column in range(codes.shape[1]):
        keys = (keys << np.uint64(16)) | codes[:, column]
    order = np.argsort(keys, kind="stable")
    return keys[order], freqs[order]


def jieba_dir() -> Path:
    """The installed jieba package's folder (found without importing jieba)."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("jieba is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def fingerprint() -> str:
    """Names the cache file: this module's format and the size and mtime of jieba's data
    files."""
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    root = jieba_dir()
    for name in _DATA_FILES:
        stat = (root / name).stat()
        digest.update(f"{name} {stat.st_size} {stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


if __name__ == "__main__":  # python -m recommender.segmenter PATH: make the cache file
    Segmenter.from_jieba().save(Path(sys.argv[1]))
