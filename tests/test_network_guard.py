"""The test suite cannot reach the internet: any connection off this machine fails."""

from __future__ import annotations

import socket

import pytest
from pytest_socket import SocketConnectBlockedError


def test_a_connection_off_this_machine_is_a_hard_failure() -> None:
    with (
        pytest.warns(UserWarning, match="203.0.113.7"),
        pytest.raises(SocketConnectBlockedError),
        socket.create_connection(("203.0.113.7", 443), 1),
    ):
        pass


def test_loopback_stays_available() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    try:
        with socket.create_connection(server.getsockname(), 1):
            pass
    finally:
        server.close()
