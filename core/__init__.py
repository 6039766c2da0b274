"""The feedback domain: every rule of the bank's feedback scheme, and no I/O.

Nothing here performs I/O or imports a database, network or chat library; the other
packages implement the ports in `core.ports` and pass the clock in as plain datetimes.
One package per thing the bank does (see the README's design section for the list).
"""
