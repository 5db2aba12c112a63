"""Files under the data directory: atomic writes and the per-user model directories.

A write goes to a temporary file in the same directory, is fsynced, then renamed over the target
(``os.replace``) and the directory fsynced: a crash at any point leaves either the previous file
or the new one, never a torn mix.
"""
from __future__ import annotations

import contextlib
import logging
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

logger = logging.getLogger(__name__)

MODELS_DIRNAME = "models"


def fsync_dir(path: str | os.PathLike) -> None:
    """Flush a directory entry change (create/rename/unlink) to disk, where the OS allows it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems do not support fsync on directories
    finally:
        os.close(fd)


def _temp_path(path: Path) -> Path:
    """A fresh, unique temporary name next to ``path`` with the same suffix (Keras checks it)."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                suffix=f".tmp{path.suffix}")
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def atomic_target(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path to write to; on success it replaces ``path`` atomically.

    For writers that want a file name rather than bytes (``model.save(tmp)``). If the block
    raises, the temporary file is removed and ``path`` is untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_path(path)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def write_atomic(path: str | os.PathLike, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` (bytes, or an iterable of byte chunks) to ``path`` atomically."""
    chunks = [data] if isinstance(data, (bytes, bytearray, memoryview)) else data
    with atomic_target(path) as tmp:
        with open(tmp, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()


def models_root(data_dir: str | os.PathLike) -> Path:
    """``data_dir/models``: one sub-directory per user."""
    return Path(data_dir) / MODELS_DIRNAME


def private_dir(path: str | os.PathLike) -> Path:
    """path as a directory of mode 0700: created so, or tightened when it is looser."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        os.chmod(path, 0o700)
    return path


def tighten_data_dir(data_dir: str | os.PathLike) -> None:
    """Make the data directory, ``models/`` and every user's model directory 0700 (an older
    version created some 0755)."""
    private_dir(data_dir)
    root = models_root(data_dir)
    if root.is_dir():
        private_dir(root)
        for child in root.iterdir():
            if child.is_dir() and not child.is_symlink():
                private_dir(child)


def user_model_dir(data_dir: str | os.PathLike, tg_id: int, *, create: bool = True) -> Path:
    """``data_dir/models/<tg_id>/`` (``models/`` and it mode 0700), created when ``create``."""
    if isinstance(tg_id, bool) or not isinstance(tg_id, int):
        raise TypeError("tg_id must be an int")
    path = models_root(data_dir) / str(tg_id)
    if create:
        private_dir(models_root(data_dir))
        private_dir(path)
    return path


RMTREE_ATTEMPTS = 5


def remove_user_files(data_dir: str | os.PathLike, tg_id: int) -> bool:
    """Delete the user's model directory and everything in it; True if there was one."""
    path = user_model_dir(data_dir, tg_id, create=False)
    if not path.exists():
        return False
    for attempt in range(RMTREE_ATTEMPTS):
        try:
            shutil.rmtree(path)
            break
        except OSError as exc:
            # a file of the user came or went meanwhile (a digest plan written or dropped
            # by a digest still finishing): remove what is left
            if not path.exists():
                break
            if attempt == RMTREE_ATTEMPTS - 1:
                raise
            logger.info("model files of user %s changed while removed (%s); again", tg_id,
                        type(exc).__name__)
    fsync_dir(path.parent)
    logger.info("removed the model files of user %s", tg_id)
    return True
