"""``python -m bot --check``: can the bot run with this environment? (the Docker HEALTHCHECK)

Reads the settings, opens the data directory and the database with the key exactly as start-up
does (so on a fresh install it creates them, as the bot would), and checks that the key decrypts
the stored logins. Talks to neither Telegram nor Bilibili.
"""
from __future__ import annotations

from typing import Mapping

from bot.settings import Settings, SettingsError

OK, FAILED = 0, 1


def run_check(environ: Mapping[str, str] | None = None) -> tuple[int, str]:
    """(exit code, one line): (0, "ok: …") or (1, the reason); no secret in the line."""
    try:
        settings = Settings.from_env(environ)
    except SettingsError as exc:
        return FAILED, str(exc)
    from bot.app import KEY_ADVICE, StartupError, open_storage  # loads telegram: only when needed

    try:
        storage = open_storage(settings)
    except StartupError as exc:
        return FAILED, str(exc)
    try:
        unreadable = storage.unreadable_credentials()
        users = len(storage.list_users())
        engine = storage.engine
    finally:
        storage.close()
    if unreadable and not settings.key_reset:
        return FAILED, (f"the stored Bilibili logins of {len(unreadable)} users cannot be "
                        f"decrypted with this key: {KEY_ADVICE}")
    return OK, (f"ok: the {engine} database opens with its key ({users} users); "
                f"data directory {settings.data_dir}")
