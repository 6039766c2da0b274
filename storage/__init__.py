"""Relational storage for the case core: SQLite by default, PostgreSQL in production.

One code path serves both; the few statements that differ by dialect say why.
"""
