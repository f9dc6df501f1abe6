"""Requests to URLs that users configure (webhooks): public addresses only, no redirects, a timeout.

The host is resolved and every address checked before the request (`core.netpolicy`); the
connection itself checks the address it reached, so a name that resolves differently the second
time (DNS rebinding) is refused too. Redirects are never followed: a 3xx is an error.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from core.netpolicy import Network, address_allowed


class BlockedAddress(requests.ConnectionError):
    """The URL's host is (or resolved to) a local or private address."""


def _guarded(base: Any, allow: tuple[Network, ...]) -> Any:
    class Guarded(base):  # type: ignore[misc]  # a subclass made per allow-list
        def _new_conn(self) -> socket.socket:
            sock: socket.socket = super()._new_conn()
            peer = sock.getpeername()[0]
            if not address_allowed(str(peer), allow):
                sock.close()
                raise BlockedAddress(f"connected to a blocked address {peer}")
            return sock

    return Guarded


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, allow: tuple[Network, ...]) -> None:
        self._allow = allow
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        http = type(
            "Pool", (HTTPConnectionPool,), {"ConnectionCls": _guarded(HTTPConnection, self._allow)}
        )
        https = type(
            "Pool",
            (HTTPSConnectionPool,),
            {"ConnectionCls": _guarded(HTTPSConnection, self._allow)},
        )
        self.poolmanager.pool_classes_by_scheme = {"http": http, "https": https}


def resolve_allowed(url: str, allow: Iterable[Network] = ()) -> None:
    """Raise `BlockedAddress` unless every address the URL's host resolves to is allowed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise requests.ConnectionError(f"cannot resolve {host}") from exc
    allowed = tuple(allow)
    for info in infos:
        address = str(info[4][0])
        if not address_allowed(address, allowed):
            raise BlockedAddress(f"{host} resolves to a blocked address {address}")


def guarded_session(allow: Iterable[Network] = ()) -> requests.Session:
    """A session whose connections reach allowed addresses only (see the module docstring)."""
    allowed = tuple(allow)
    session = requests.Session()  # a proxy from the environment must itself be allowed
    adapter = _GuardedAdapter(allowed)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
