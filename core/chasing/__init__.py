"""Chasing: what the scheduler raises on its own.

Deadline and legal-ceiling alerts, the daily digest, and forgetting abandoned intakes and
old cases' personal data (retention).
"""
