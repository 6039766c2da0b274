"""The feedback domain: cases, their life cycle, deadlines and the working-day calendar.

Nothing here performs I/O or imports a database, network or chat library; the other
packages implement the ports in `core.ports` and pass the clock in as plain datetimes.
"""
