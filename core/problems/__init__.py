"""Recurring problems in the texts of complaints and suggestions: keywords taken from
each text (`keywords`), texts grouped by their leading keywords per business type and
compared with the previous period (`grouping`). No I/O: the texts arrive as a stream,
already read, and the tokenizer that segments them is passed in."""
