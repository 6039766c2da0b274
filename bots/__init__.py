"""Chat channels (Telegram, WeChat): turn platform traffic into core inputs and back."""
