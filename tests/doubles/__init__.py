"""Stand-ins for outside services (such as the Telegram Bot API) that tests run over loopback."""
