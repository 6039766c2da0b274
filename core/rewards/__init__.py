"""Rewards: the points ledger, crediting points, gift vouchers and their redemption."""
