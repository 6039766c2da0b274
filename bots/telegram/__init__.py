"""The Telegram channel, on python-telegram-bot: long polling or a webhook."""
