"""Customers: the intake dialogue, their conversation with the service, and their data.

The pure dialogue engine, the conversation service (one customer message in, the replies
out), a customer's words relayed to staff, and privacy self-service (what is kept, forget).
"""
