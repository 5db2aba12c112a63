"""Atomic file writes: the previous file survives any failure, no temporary file is left."""
from __future__ import annotations

import os
import stat

import pytest

from storage import files
from storage.files import atomic_target, remove_user_files, user_model_dir, write_atomic


def listing(directory):
    return sorted(p.name for p in directory.iterdir())


def test_write_atomic_creates_and_replaces(tmp_path):
    target = tmp_path / "sub" / "model.keras"
    write_atomic(target, b"v1")
    assert target.read_bytes() == b"v1"
    write_atomic(target, [b"v2-", b"chunked"])
    assert target.read_bytes() == b"v2-chunked"
    assert listing(target.parent) == ["model.keras"]
    assert stat.S_IMODE(target.stat().st_mode) & 0o077 == 0


def test_failure_mid_write_keeps_previous_file(tmp_path):
    target = tmp_path / "model.keras"
    write_atomic(target, b"previous model")

    def chunks():
        yield b"half of the new"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, chunks())
    assert target.read_bytes() == b"previous model"
    assert listing(tmp_path) == ["model.keras"]


def test_failure_at_rename_keeps_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "model.keras"
    write_atomic(target, b"previous model")

    def crash(src, dst):
        raise OSError("crash before rename")

    monkeypatch.setattr(files.os, "replace", crash)
    with pytest.raises(OSError, match="crash before rename"):
        write_atomic(target, b"new model" * 1000)
    monkeypatch.undo()
    assert target.read_bytes() == b"previous model"
    assert listing(tmp_path) == ["model.keras"]


def test_failure_at_fsync_keeps_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "model.keras"
    write_atomic(target, b"previous model")
    monkeypatch.setattr(files.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("io")))
    with pytest.raises(OSError):
        write_atomic(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"previous model"
    assert listing(tmp_path) == ["model.keras"]


def test_atomic_target_keeps_suffix_and_cleans_up(tmp_path):
    target = tmp_path / "model.keras"
    with atomic_target(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".keras" and tmp != target
        tmp.write_bytes(b"saved by a library")
    assert target.read_bytes() == b"saved by a library"
    with pytest.raises(RuntimeError):
        with atomic_target(target) as tmp:
            tmp.write_bytes(b"partial")
            raise RuntimeError("training crashed while saving")
    assert target.read_bytes() == b"saved by a library"
    assert listing(tmp_path) == ["model.keras"]


def test_user_model_dirs(tmp_path):
    first = user_model_dir(tmp_path, 1)
    assert first == tmp_path / "models" / "1" and first.is_dir()
    assert stat.S_IMODE(first.stat().st_mode) & 0o077 == 0
    write_atomic(first / "a.keras", b"x")
    (first / "nested").mkdir()
    write_atomic(first / "nested" / "b.bin", b"y")
    write_atomic(user_model_dir(tmp_path, 2) / "a.keras", b"z")
    assert remove_user_files(tmp_path, 1) is True
    assert not first.exists()
    assert remove_user_files(tmp_path, 1) is False
    assert (tmp_path / "models" / "2" / "a.keras").read_bytes() == b"z"
    assert not user_model_dir(tmp_path, 3, create=False).exists()
    with pytest.raises(TypeError):
        user_model_dir(tmp_path, "..")  # type: ignore[arg-type]
    assert os.listdir(tmp_path / "models") == ["2"]


@pytest.mark.parametrize("change", ["file gone", "file added"])
def test_user_files_changing_while_removed_are_removed_all_the_same(tmp_path, monkeypatch,
                                                                     change):
    """A digest finishing during a /logout drops or writes its plan file mid-removal."""
    folder = user_model_dir(tmp_path, 1)
    write_atomic(folder / "model-1.npz", b"x")
    write_atomic(folder / "digest-2026-12-02.json", b"{}")
    real_rmtree, calls = files.shutil.rmtree, []

    def racing_rmtree(path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 1:             # what rmtree meets when another thread is busy there
            if change == "file gone":
                os.unlink(folder / "digest-2026-12-02.json")
                raise FileNotFoundError(2, "No such file or directory", "digest-2026-12-02.json")
            write_atomic(folder / "digest-2026-12-03.json", b"{}")
            raise OSError(39, "Directory not empty", str(folder))
        return real_rmtree(path, *args, **kwargs)
    monkeypatch.setattr(files.shutil, "rmtree", racing_rmtree)
    assert remove_user_files(tmp_path, 1) is True
    assert not folder.exists() and len(calls) == 2


def test_user_files_that_cannot_be_removed_still_raise(tmp_path, monkeypatch):
    user_model_dir(tmp_path, 1)

    def refusing_rmtree(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(files.shutil, "rmtree", refusing_rmtree)
    with pytest.raises(PermissionError):
        remove_user_files(tmp_path, 1)
