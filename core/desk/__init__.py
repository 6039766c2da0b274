"""The staff desk: staff, departments and roles, and the commands they use in chat.

Who may do what to which case; each command declared once on its handler (`registry`),
the handlers grouped by theme and loaded by `commands`; `service` running one command
in one transaction; `notify` telling staff things; and what staff read (always masked).
"""
