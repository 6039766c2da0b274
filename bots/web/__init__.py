"""The web channel: the JSON API the bank's site, app and kiosks talk to."""

# How a case refers to a file uploaded on the web (`Attachment.ref`): this, then its id.
WEB_REF = "web:"
