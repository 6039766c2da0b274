"""The composition root: configuration, wiring, the `intake` CLI and the HTTP service.

Only this package reads the environment; everything else receives what it needs.
"""
