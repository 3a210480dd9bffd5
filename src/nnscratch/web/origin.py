"""The server acts only for its own page (pure ASGI middleware).

Two checks, because a local server without a login is reachable from any web page a browser
on this machine opens:

- **Host**: a request must name one of this server's own addresses. A page on another site
  whose name is made to resolve to 127.0.0.1 (DNS rebinding) sends its own name as Host; it
  is refused, so it can neither read nor change anything.
- **Origin**: a state-changing request (POST, PUT, PATCH, DELETE) that a browser sends from a
  page must come from a page of this server: its Origin (else its Referer) must be
  ``http://`` + the Host the request names. A page on another port or site is refused, even
  for the requests a browser sends cross-site without asking first (forms, simple fetches).
  Requests with neither header come from programs (curl, scripts), not from a page, and pass.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from .asgi_answers import send_json_error

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WILDCARDS = frozenset({"0.0.0.0", "::", ""})


def normal_host(name: str) -> str:
    """``name`` as hosts are compared: lower case, no brackets, no trailing dot."""
    return name.strip().strip("[]").rstrip(".").lower()


def allowed_hosts(bound: str) -> frozenset[str]:
    """The host names a request to a server bound to ``bound`` may use: the loopback names and
    addresses, ``bound`` itself (as ``serve`` prints it), and when ``bound`` is a wildcard
    (0.0.0.0, ::) this machine's name and addresses, the ones another machine reaches it by."""
    names = set(LOOPBACK_NAMES) | {normal_host(bound)}
    if normal_host(bound) in WILDCARDS:
        names |= _machine_names()
    else:
        names |= _addresses_of(bound)
    return frozenset(names - {""})


def _machine_names() -> set[str]:
    names: set[str] = set()
    for name in {socket.gethostname(), socket.getfqdn()}:
        if name:
            names |= {normal_host(name)} | _addresses_of(name)
    # The address of the interface that routes outwards (a UDP "connection" sends nothing).
    for family, target in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                probe.connect((target, 9))
                names.add(normal_host(probe.getsockname()[0]))
        except OSError:
            pass
    return names


def _addresses_of(name: str) -> set[str]:
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return set()
    return {normal_host(str(info[4][0]).split("%")[0]) for info in infos}


def split_host(header: str) -> tuple[str, str]:
    """A Host header's (name, port): ``[::1]:8000`` gives ("::1", "8000"); no port gives ""."""
    header = header.strip()
    if header.startswith("["):
        name, _, rest = header[1:].partition("]")
        return normal_host(name), rest.removeprefix(":")
    if header.count(":") == 1:
        name, _, port = header.partition(":")
        return normal_host(name), port
    return normal_host(header), ""  # a bare IPv6 address, or no port


class OwnOrigin:
    """Refuse (400) requests that name a host not in ``hosts``, and (403) state-changing requests
    from a page that is not this server's own. See the module's description."""

    def __init__(self, app, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = frozenset(normal_host(host) for host in hosts)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":  # no websockets here; lifespan passes
            return await self.app(scope, receive, send)
        headers = _headers(scope)
        hosts_named = headers.get("host", [])
        host_header = hosts_named[0] if len(hosts_named) == 1 else ""
        if split_host(host_header)[0] not in self.hosts:
            return await send_json_error(
                send,
                400,
                f"this server answers only to its own addresses ({', '.join(sorted(self.hosts))}),"
                f" not to {', '.join(hosts_named) or 'a request without a Host'}: a web page "
                f"whose name leads here is not this server's page",
            )
        if scope.get("method", "GET") in STATE_CHANGING:
            own = f"{scope.get('scheme', 'http')}://{host_header}".strip().lower()
            senders = headers.get("origin") or [
                "{0.scheme}://{0.netloc}".format(urlsplit(referer))
                for referer in headers.get("referer", [])
            ]
            sender = next((s for s in senders if s.strip().lower() != own), None)
            if sender is not None:
                return await send_json_error(
                    send,
                    403,
                    f"{scope['method']} {scope.get('path', '')} is refused: it comes from a page "
                    f"of {sender}, not from this server's own page ({own})",
                )
        return await self.app(scope, receive, send)


def _headers(scope) -> dict[str, list[str]]:
    """Every value of each header (a header sent twice must not hide its second copy)."""
    headers: dict[str, list[str]] = {}
    for key, value in scope.get("headers") or ():
        headers.setdefault(key.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    return headers
