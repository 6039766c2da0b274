"""The web channel: the JSON API the bank's site, app and kiosks talk to."""
