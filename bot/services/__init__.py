"""The bot's services: plain asyncio code over bilibili/, storage/ and recommender/.

They know nothing of Telegram chats; handlers and jobs in ``bot.handlers`` turn their results
into messages. Blocking calls (HTTP, SQLite writes, ranking, training) run in threads.
"""
