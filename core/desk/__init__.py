"""The staff desk: staff, departments and roles, and the commands they use in chat.

Who may do what to which case, the commands as typed or pressed, the handlers that turn
a command into replies and messages, and what staff read (always with data masked).
"""
