"""The WeChat Official Account channel: webhook, passive replies, pushes, the API client."""
