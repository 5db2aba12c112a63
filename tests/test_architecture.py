"""The direction of dependency, read from the source: bot → recommender, bilibili → storage →
domain; handlers reach only services; only the composition root imports handlers."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "bilibili", "recommender", "models", "storage", "domain")

# package -> top-level modules it must never import
FORBIDDEN = {
    "storage": {"telegram", "bot", "bilibili", "recommender", "models", "requests", "tensorflow",
                "keras"},
    "models": {"telegram", "bot", "bilibili", "recommender", "storage", "requests"},
    # bilibili/ shares the records of domain/ and never touches the database
    "bilibili": {"telegram", "bot", "recommender", "models", "storage", "sqlite3", "tensorflow",
                 "keras"},
    # recommender/ serves in the bot process: TensorFlow only ever through models/ in the worker
    "recommender": {"telegram", "bot", "bilibili", "requests", "urllib", "http", "httpx",
                    "socket", "tensorflow", "keras"},
    "bot": set(),
    # the shared records: plain Python, nothing of BiliRec
    "domain": {"telegram", "bot", "bilibili", "recommender", "models", "storage", "requests",
               "sqlite3", "tensorflow", "keras", "numpy"},
}


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name imported anywhere in the file (module level or nested)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def source_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_package_has_sources(package):
    assert source_files(package), f"{package}/ has no Python files"


@pytest.mark.parametrize("package", [p for p in PACKAGES if FORBIDDEN[p]])
def test_no_forbidden_imports(package):
    offences = []
    for path in source_files(package):
        for name in imported_modules(path):
            top = name.split(".")[0]
            if top in FORBIDDEN[package]:
                offences.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offences, "\n".join(offences)


def reaches_storage(path: Path) -> list[str]:
    """Where a file imports storage or uses an attribute named ``storage`` (line numbers)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = [f"imports {name}" for name in sorted(imported_modules(path))
             if name.split(".")[0] == "storage"]
    found += [f"line {node.lineno} uses .storage" for node in ast.walk(tree)
              if isinstance(node, ast.Attribute) and node.attr == "storage"]
    return found


def test_handlers_never_reach_storage():
    """Handlers only translate: they call services (bot/services), never storage."""
    offences = [f"{path.relative_to(ROOT)} {what}" for path in source_files("bot/handlers")
                for what in reaches_storage(path)]
    assert not offences, "\n".join(offences)


def test_only_the_composition_root_imports_handlers():
    """Jobs, services and the shared sending code never import a handler module."""
    offences = []
    for path in source_files("bot"):
        if path.parent.name == "handlers" or path.name == "app.py":
            continue
        offences += [f"{path.relative_to(ROOT)} imports {name}"
                     for name in imported_modules(path) if name.startswith("bot.handlers")]
    assert not offences, "\n".join(offences)


def storage_erase_calls(path: Path) -> list[int]:
    """Lines where a file uses ``storage.erase_user`` or ``<...>.storage.erase_user``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr == "erase_user"
            and ((isinstance(node.value, ast.Attribute) and node.value.attr == "storage")
                 or (isinstance(node.value, ast.Name) and node.value.id == "storage"))]


def test_one_owner_erases_users():
    """Only the eraser (bot/services/erase.py) calls Storage.erase_user: logout, account switch
    and sync all forget a user through it, with every in-memory store registered there."""
    callers = [f"{path.relative_to(ROOT)}:{line}" for package in PACKAGES if package != "storage"
               for path in source_files(package) for line in storage_erase_calls(path)]
    assert len(callers) == 1 and callers[0].startswith("bot/services/erase.py:"), callers


def test_only_bot_imports_telegram():
    for package in PACKAGES:
        if package == "bot":
            continue
        for path in source_files(package):
            assert not any(
                n.split(".")[0] == "telegram" for n in imported_modules(path)
            ), f"{path.relative_to(ROOT)} imports telegram"


def test_the_numpy_scorer_needs_only_numpy():
    """The serving forward pass: numpy and the framework-free file reader, nothing else."""
    allowed = {"__future__", "numpy", "pathlib", "models", "models.wide_deep"}
    names = {n for n in imported_modules(ROOT / "models" / "numpy_scorer.py")
             if not n.startswith(("__future__.", "pathlib.", "models.wide_deep."))}
    assert names <= allowed, names - allowed


def test_the_checker_sees_imports(tmp_path):
    """The parser itself must find nested and from-imports, or the tests above prove nothing."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from telegram import Bot\nimport requests.adapters\n")
    assert {"telegram", "telegram.Bot", "requests.adapters"} <= imported_modules(sample)
    sample.write_text("def f(svc):\n    return svc.storage.get_user(1)\n")
    assert reaches_storage(sample) == ["line 2 uses .storage"]
    sample.write_text("def f(self, storage):\n    run(self.storage.erase_user, 1)\n"
                      "    storage.erase_user(2)\n    self.eraser.erase_user(3)\n")
    assert sorted(storage_erase_calls(sample)) == [2, 3]
