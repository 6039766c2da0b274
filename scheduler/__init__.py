"""Timed jobs (deadline chasing, outbox dispatch, digests) that call the core services."""
