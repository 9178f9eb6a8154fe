"""Tests run offline: any connection attempt to a non-loopback address fails at once (cc_net's
conftest idea). Beam's portable runner talks to itself over loopback gRPC, which stays allowed."""

from __future__ import annotations

import socket

import pytest

_real_connect = socket.socket.connect
_real_getaddrinfo = socket.getaddrinfo
_LOCAL = ("127.", "::1", "localhost", "0.0.0.0")


def _is_local(host: object) -> bool:
    return isinstance(host, str) and (host.startswith(_LOCAL) or host == "")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def guarded_connect(self, address):  # noqa: ANN001, ANN202
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            raise OSError(f"network access blocked in tests: {address}")
        return _real_connect(self, address)

    def guarded_getaddrinfo(host, *args, **kwargs):  # noqa: ANN001, ANN202
        if host is not None and not _is_local(host if isinstance(host, str) else host.decode()):
            raise socket.gaierror(f"network access blocked in tests: {host}")
        return _real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
