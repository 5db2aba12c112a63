"""The fault matrix runs with the bot's and the storage tests' fixtures."""
from tests.bot.conftest import env, fake, start_bot, tg  # noqa: F401 - fixtures
from tests.storage.conftest import data_dir, key  # noqa: F401 - fixtures
