"""Cases: one piece of feedback, its classification, number, deadline and calendar.

The `Case` aggregate with its one transition table, the JR/T 0169 axes, case numbers,
the working-day calendar, the bank's deadlines and the legal ceiling, and filing.
"""
