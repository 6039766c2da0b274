"""What operators watch: the service's Prometheus series and the request id that ties
the log lines of one incoming message to the pushes it caused.

A leaf package: every layer may record into it (the channels, the dispatcher, the
scheduler, the outbox), and it depends on none of them.
"""
