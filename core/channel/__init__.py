"""The chat channel contract: what any channel hands the domain and gets back.

A message in (`Incoming`), the replies out (`Reply`, `Option`), messages the service sends
on its own (`OutboundMessage` through the `Outbox`), and the routing every channel calls:
a staff command goes to the desk, anything else to the customer's dialogue.
"""
