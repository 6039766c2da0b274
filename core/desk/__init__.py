"""The staff desk: the commands staff use in chat to handle cases."""
