"""Where Ollama listens: ``OLLAMA_HOST`` parsed with Ollama's own rules.

Read from Ollama's ``envconfig/config.go`` (``Var``, ``Host``, ``ConnectableHost``):

- the value is trimmed of spaces, then of quotes (``"`` and ``'``), then of spaces again;
- without ``scheme://`` the scheme is ``http`` and the port defaults to 11434
  (``1.2.3.4`` → ``http://1.2.3.4:11434``); the bare value ``ollama.com`` means
  ``https://ollama.com:443``;
- **with** ``http://`` the port defaults to 80, with ``https://`` to 443;
- anything after the first ``/`` of the host part is a path prefix (reverse proxies);
- an invalid port (not a number, > 65535) falls back to the default port;
- a host that is an IP is written canonically, IPv6 in brackets;
- a client maps the bind-all addresses ``0.0.0.0`` / ``::`` to ``127.0.0.1`` / ``::1``
  (they are valid to listen on, not to connect to, and fail on Windows).

An empty host (``OLLAMA_HOST=:8080``, which ``ollama serve`` reads as "all interfaces")
is also mapped to ``127.0.0.1``.
"""

from __future__ import annotations

import ipaddress
import os

from engine.errors import InputError

DEFAULT_PORT = "11434"
DEFAULT_HOST = "127.0.0.1"
ENV_VAR = "OLLAMA_HOST"


def resolve_host(explicit: str | None = None, *, environ: dict[str, str] | None = None) -> str:
    """Base URL of the Ollama server, without a trailing slash.

    ``explicit`` (a setting the user typed) wins over the ``OLLAMA_HOST`` environment
    variable; both are read with :func:`parse_host`.
    """
    env = os.environ if environ is None else environ
    raw = explicit if explicit is not None and explicit.strip() else env.get(ENV_VAR, "")
    return parse_host(raw)


def parse_host(value: str) -> str:
    """``OLLAMA_HOST`` value → connectable base URL (``http://127.0.0.1:11434``)."""
    text = value.strip().strip("\"'").strip()
    default_port = DEFAULT_PORT
    scheme, sep, hostport = text.partition("://")
    if not sep:
        scheme, hostport = "http", text
        if text == "ollama.com":
            scheme, hostport = "https", "ollama.com:443"
    elif scheme == "http":
        default_port = "80"
    elif scheme == "https":
        default_port = "443"
    else:
        raise InputError(
            f"the Ollama address {value!r} uses the scheme {scheme!r}",
            hint="Use http://HOST:PORT or https://HOST:PORT (or just HOST:PORT).",
            field=ENV_VAR,
        )

    hostport, _, path = hostport.partition("/")
    split = _split_host_port(hostport)
    if split is None:
        host, port = DEFAULT_HOST, default_port
        ip = _parse_ip(hostport.strip("[]"))
        if ip is not None:
            host = str(ip)
        elif hostport:
            host = hostport
    else:
        host, port = split

    if not _valid_port(port):
        port = default_port

    host = _connectable(host)
    netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    url = f"{scheme}://{netloc}"
    if path:
        url += "/" + path.rstrip("/")
    return url


def _split_host_port(hostport: str) -> tuple[str, str] | None:
    """Go's ``net.SplitHostPort``: ``None`` where Go returns an error."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0 or not hostport[end + 1 :].startswith(":"):
            return None
        host, port = hostport[1:end], hostport[end + 2 :]
        if "[" in host or "]" in host or "]" in port:
            return None
        return host, port
    colon = hostport.rfind(":")
    if colon < 0:
        return None
    host, port = hostport[:colon], hostport[colon + 1 :]
    if ":" in host or "[" in host or "]" in host or "[" in port or "]" in port:
        return None
    return host, port


def _valid_port(port: str) -> bool:
    # Go: strconv.ParseInt(port, 10, 32) then 0 <= n <= 65535
    body = port[1:] if port[:1] in "+-" else port
    if not body or not body.isascii() or not body.isdigit():
        return False
    return 0 <= int(port) <= 65535


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped  # Go prints ::ffff:a.b.c.d as a.b.c.d
    return ip


def _connectable(host: str) -> str:
    if host == "":
        return DEFAULT_HOST
    ip = _parse_ip(host)
    if ip is None:
        return host
    if ip.is_unspecified:
        return "127.0.0.1" if ip.version == 4 else "::1"
    return str(ip)


def display_host(base_url: str) -> str:
    """``http://127.0.0.1:11434`` → ``127.0.0.1:11434`` for messages."""
    return base_url.split("://", 1)[-1]
