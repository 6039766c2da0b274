"""Tests of the report adapters (`reports`)."""
