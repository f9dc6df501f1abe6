"""Which addresses a user-configured URL may reach: the public internet, unless an operator says.

A webhook URL that a chat user types must not become a way into the machine or the company's
network (SSRF): loopback, link-local, private, shared, multicast, reserved and unspecified
addresses are refused, before and after DNS resolution, unless an operator lists them in
`allow` (CIDRs such as `10.20.0.0/16`, or single addresses).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from core.errors import InvalidInput

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_allow(entries: Iterable[str]) -> tuple[Network, ...]:
    """Operator allow-list entries (CIDRs or addresses) as networks; ValueError names a bad one."""
    out: list[Network] = []
    for entry in entries:
        text = entry.strip()
        if text:
            out.append(ipaddress.ip_network(text, strict=False))
    return tuple(out)


def address_allowed(address: str, allow: Iterable[Network] = ()) -> bool:
    """True for a public address, or one inside an operator-allowed network."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in allow):
        return True
    return ip.is_global and not ip.is_multicast


def check_url(url: str, allow: Iterable[Network] = ()) -> str:
    """An http(s) URL without credentials whose host, if written as an address, is allowed.

    Host names are checked again after resolution, when the request is made.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise InvalidInput(
            "a webhook is an http(s) URL with a host and no user name or password",
            zh="webhook 须是带主机名的 http(s) 地址，且不含用户名或密码",
        )
    literal = True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        literal = False
    blocked_name = host.lower().rstrip(".") in (
        "localhost",
        "localhost.localdomain",
    ) or host.lower().endswith((".localhost", ".local", ".internal"))
    if (literal and not address_allowed(host, allow)) or (blocked_name and not allow):
        raise InvalidInput(
            f"{host} is a local or private address; webhooks go to public addresses only",
            zh=f"{host} 是本机或内网地址；webhook 只能指向公网地址",
            hint="an operator can allow internal networks with PMBOT_OUTBOUND_ALLOW",
            hint_zh="运维可用 PMBOT_OUTBOUND_ALLOW 允许内网地址",
        )
    return url
