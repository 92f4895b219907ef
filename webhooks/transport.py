"""Sending one request to an endpoint, refusing what could reach inside our own network (SSRF).

Only http(s) URLs. The host is resolved at registration and again at every attempt, and every
address it resolves to must be public (`ipaddress`'s is_global) unless WEBHOOKS_ALLOW_PRIVATE
(on in development and tests) allows loopback and private ranges. The connection then goes to
the address that was checked, not to a second look-up (no DNS rebinding between check and
connect); TLS still verifies the certificate against the URL's host name. Redirects are not
followed: a 3xx is a failed attempt like any other non-2xx.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import InvalidInput

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
EXCERPT_BYTES = 2000


class UnsafeUrl(InvalidInput):
    """The URL is not one we send to: not http(s), or its host is not public."""

    code = "webhook_url_refused"


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer at all (refused, timed out, unsafe address)
    excerpt: str
    error: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def parse(url: str) -> Target:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UnsafeUrl(_("That is not a valid URL.")) from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl(_("Webhook URLs start with https:// (or http://)."))
    if not parts.hostname:
        raise UnsafeUrl(_("The URL needs a host name."))
    if parts.username or parts.password:
        raise UnsafeUrl(_("Put no user name or password in the URL; receivers check the signature instead."))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)


def _refused_reason(address: str) -> str:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_global and not ip.is_multicast:
        return ""
    if ip.is_link_local:  # cloud metadata services (169.254.169.254) are never a receiver
        return _("%(ip)s is a link-local address") % {"ip": ip}
    if getattr(settings, "WEBHOOKS_ALLOW_PRIVATE", False) and (ip.is_loopback or ip.is_private):
        return ""
    if ip.is_loopback:
        return _("%(ip)s is a loopback address") % {"ip": ip}
    if ip.is_private:
        return _("%(ip)s is a private address") % {"ip": ip}
    return _("%(ip)s is a not public address") % {"ip": ip}


def resolve(target: Target) -> str:
    """The address to connect to, after checking every address the host resolves to."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeUrl(_("The host %(host)s can't be resolved (%(error)s).") % {"host": target.host, "error": error}) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        if reason := _refused_reason(address):
            raise UnsafeUrl(_("Webhooks are not sent to %(host)s: %(reason)s.") % {"host": target.host, "reason": reason})
    return addresses[0]


def check_url(url: str) -> str:
    """The URL, normalised, if we would send to it now; raises UnsafeUrl otherwise."""
    resolve(parse(url))
    return url.strip()


def post(url: str, *, body: str, headers: dict[str, str]) -> Answer:
    """POST `body` to `url` once; never raises for the network's or the receiver's failures."""
    try:
        target = parse(url)
        address = resolve(target)
    except UnsafeUrl as refusal:
        return Answer(None, "", refusal.message)
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
    common = dict(port=target.port, timeout=timeout, retries=False, maxsize=1)
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(address, server_hostname=target.host, assert_hostname=target.host, **common)
    else:
        pool = urllib3.HTTPConnectionPool(address, **common)
    all_headers = {
        **headers,
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": "Gratia-Webhooks/1",
    }
    try:
        response = pool.urlopen(
            "POST", target.path, body=body.encode(), headers=all_headers,
            redirect=False, assert_same_host=False, preload_content=False,
        )
        excerpt = response.read(EXCERPT_BYTES).decode("utf-8", errors="replace")
        response.release_conn()
        return Answer(response.status, excerpt, "" if 200 <= response.status < 300 else f"HTTP {response.status}")
    except urllib3.exceptions.HTTPError as error:
        return Answer(None, "", f"{type(error).__name__}: {error}"[:500])
    finally:
        pool.close()
