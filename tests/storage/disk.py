"""Helpers that look at the raw bytes of every file under a data directory."""
from __future__ import annotations

from pathlib import Path


def files_under(root: Path, *, exclude: tuple[Path, ...] = ()) -> list[Path]:
    """Every regular file below root (the database, its -wal and -shm, model files, ...)."""
    skip = {path.resolve() for path in exclude}
    return sorted(path for path in root.rglob("*")
                  if path.is_file() and path.resolve() not in skip)


def files_containing(root: Path, needle: str, *, exclude: tuple[Path, ...] = ()) -> list[str]:
    """Names of the files whose bytes contain needle (UTF-8 or UTF-16 encoded)."""
    patterns = [needle.encode("utf-8"), needle.encode("utf-16-le"), needle.encode("utf-16-be")]
    return [str(path.relative_to(root)) for path in files_under(root, exclude=exclude)
            if any(pattern in path.read_bytes() for pattern in patterns)]


def open_db(data_dir: Path):
    """A separate read-only connection to the storage's database (WAL allows it)."""
    import sqlite3
    return sqlite3.connect(f"file:{data_dir / 'bilirec.sqlite3'}?mode=ro", uri=True,
                           isolation_level=None)
