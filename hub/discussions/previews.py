"""Link preview cards: title, description and image read server-side from a page's metadata.

Short timeouts (each request ends within ``LINK_PREVIEW_TIMEOUT`` seconds, however slowly the other
side sends), a size cap, and no request to private, loopback or link-local addresses (every address
the name resolves to is checked, and the connection goes to the checked address, at every redirect)
unless ``LINK_PREVIEW_ALLOW_PRIVATE`` is set (tests serve pages on loopback).

The page's image (og:image) is fetched the same way, with its own size cap, and kept only when its
bytes are a PNG, JPEG, GIF or WebP image that Pillow decodes (never SVG, whatever the server calls
it); a large one is scaled down.
"""
import html
import http.client
import io
import ipaddress
import logging
import re
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from flask import current_app

from ..forms import single_line

log = logging.getLogger(__name__)

MAX_BYTES = 512 * 1024
TIMEOUT = 3.0
MAX_REDIRECTS = 3
CHUNK = 64 * 1024

IMAGE_MAX_BYTES = 2 * 1024 * 1024
IMAGE_MAX_PIXELS = 25_000_000  # decoding more could take seconds and hundreds of MB
IMAGE_MAX_SIDE = 1200  # larger images are scaled down to fit
IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}


@dataclass
class Preview:
    url: str
    title: str = ""
    description: str = ""
    image_url: str = ""


class Refused(Exception):
    pass


# IPv6 ranges that carry an IPv4 address in their last 32 bits (or, for 6to4, in bits 16 to 48): a
# NAT64 gateway or 6to4 relay would forward the connection to that IPv4 address, so it is the one checked.
_WELL_KNOWN_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated (RFC 4291), still routed by some stacks
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # RFC 2765
# IPv6 ranges refused whatever follows: local-use NAT64 (RFC 8215, the IPv4 address may sit at any
# of several places) and the deprecated site-local addresses (RFC 3879), private in all but name.
_REFUSED_V6 = (ipaddress.ip_network("64:ff9b:1::/48"), ipaddress.ip_network("fec0::/10"))


def _embedded_ipv4(ip):
    """The IPv4 address an IPv6 address stands for (NAT64, 6to4, IPv4-mapped or -compatible), or None."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _WELL_KNOWN_NAT64 or ip in _IPV4_TRANSLATED or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _allowed_address(address, allow_private):
    ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    if allow_private:
        return True
    if ip.version == 6:
        if any(ip in network for network in _REFUSED_V6):
            return False
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not _allowed_address(embedded, allow_private):
            return False
    return ip.is_global and not ip.is_multicast


def _resolve(host, port, allow_private):
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Refused(f"cannot resolve {host}: {error}") from None
    addresses = [info[4][0] for info in infos]
    if not addresses or not all(_allowed_address(a, allow_private) for a in addresses):
        raise Refused(f"{host} resolves to a private or reserved address")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, address, **kwargs):
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self):
        self.sock = self.pinned_socket = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, address, **kwargs):
        super().__init__(host, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self.pinned_socket = self._context.wrap_socket(sock, server_hostname=self.host)


def _read(conn, response, max_bytes, deadline):
    """At most ``max_bytes + 1`` bytes of the body (one more than allowed says it is too long),
    read before the deadline however slowly they come."""
    chunks, size = [], 0
    while size <= max_bytes:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Refused("too slow")
        conn.pinned_socket.settimeout(left)
        chunk = response.read1(min(CHUNK, max_bytes + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _get(url, allow_private, timeout, accept="text/html,application/xhtml+xml", wanted=lambda kind: "html" in kind,
         max_bytes=MAX_BYTES, whole=False):
    """(final url, content type, body, charset), all within ``timeout`` seconds. The body is cut at
    ``max_bytes``; with ``whole``, a longer one is refused instead."""
    deadline = time.monotonic() + timeout
    for _hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Refused("not a web address")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = _resolve(parts.hostname, port, allow_private)
        left = deadline - time.monotonic()
        if left <= 0:
            raise Refused("too slow")
        cls = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
        conn = cls(parts.hostname, address, port=port, timeout=left)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request("GET", path, headers={"User-Agent": "hub-link-preview/1.0", "Accept": accept})
            response = conn.getresponse()
            if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location"))
                continue
            if response.status != 200:
                raise Refused(f"status {response.status}")
            kind = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
            if not wanted(kind):
                raise Refused(f"unwanted type {kind[:60]!r}")
            length = (response.getheader("Content-Length") or "").strip()
            if whole and length.isdigit() and int(length) > max_bytes:
                raise Refused(f"too large ({length[:20]} bytes)")
            body = _read(conn, response, max_bytes, deadline)
            if len(body) > max_bytes:
                if whole:
                    raise Refused(f"larger than {max_bytes} bytes")
                body = body[:max_bytes]
            return url, kind, body, response.headers.get_content_charset() or "utf-8"
        finally:
            conn.close()
    raise Refused("too many redirects")


_META = re.compile(r"<meta\s+[^>]*>", re.I)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


def _clean(text, limit):
    text = " ".join(single_line(html.unescape(text or "")).split())
    return text[:limit]


def parse(page_url, body, charset="utf-8"):
    try:
        text = body.decode(charset, errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    found = {}
    for tag in _META.findall(text):
        attrs = {k.lower(): v.strip("\"'") for k, v in _ATTR.findall(tag)}
        key = (attrs.get("property") or attrs.get("name") or "").lower()
        if key and "content" in attrs and key not in found:
            found[key] = attrs["content"]
    title_match = _TITLE.search(text)
    title = found.get("og:title") or found.get("twitter:title") or (title_match.group(1) if title_match else "")
    description = found.get("og:description") or found.get("description") or found.get("twitter:description") or ""
    image = found.get("og:image") or found.get("twitter:image") or ""
    image = urljoin(page_url, html.unescape(image)) if image else ""
    if image and urlsplit(image).scheme not in ("http", "https"):
        image = ""
    return Preview(url=page_url, title=_clean(title, 300), description=_clean(description, 1000), image_url=image[:2000])


def fetch(url):
    """A preview of the page, or a bare one (the address only) when it cannot be read."""
    allow_private = bool(current_app.config.get("LINK_PREVIEW_ALLOW_PRIVATE"))
    timeout = float(current_app.config.get("LINK_PREVIEW_TIMEOUT", TIMEOUT))
    try:
        final_url, _kind, body, charset = _get(url, allow_private, timeout)
    except (Refused, OSError, http.client.HTTPException, ValueError) as error:
        log.info("No preview for %s: %s", url[:200], error)
        return Preview(url=url)
    preview = parse(final_url, body, charset)
    preview.url = url
    return preview


# --- the preview image ----------------------------------------------------------------------


@dataclass
class Image:
    data: bytes
    mimetype: str
    width: int
    height: int


def sniff_image(data):
    """The type an image's first bytes say it is (PNG, JPEG, GIF or WebP), or None (SVG, HTML…)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _encode(image, fmt):
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, format="JPEG", quality=85, optimize=True)
    elif fmt == "WEBP":
        image.save(out, format="WEBP", quality=85)
    else:
        image.save(out, format=fmt, optimize=True)
    return out.getvalue()


def check_image(data):
    """The image these bytes hold, decoded by Pillow to be sure of it, and scaled down to fit in
    IMAGE_MAX_SIDE pixels (the only case where it is encoded again); Refused otherwise."""
    from PIL import Image as PILImage
    from PIL import ImageOps

    mimetype = sniff_image(data)
    if mimetype is None:
        raise Refused("not a PNG, JPEG, GIF or WebP image")
    fmt = IMAGE_TYPES[mimetype]
    try:
        with PILImage.open(io.BytesIO(data), formats=[fmt]) as image:
            width, height = image.size
            if not width or not height or width * height > IMAGE_MAX_PIXELS:
                raise Refused(f"{width}×{height} pixels")
            if fmt == "JPEG" and max(width, height) > IMAGE_MAX_SIDE:
                image.draft(image.mode, (IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))  # decoded at 1/2, 1/4 or 1/8 of its size
            image.load()
            if max(width, height) > IMAGE_MAX_SIDE:
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))
                data = _encode(upright, fmt)
                width, height = upright.size
            elif image.getexif().get(0x0112) in (5, 6, 7, 8):  # shown turned a quarter by browsers
                width, height = height, width
    except Refused:
        raise
    except Exception as error:  # Pillow says "not an image" in many ways (OSError, SyntaxError, ValueError…)
        raise Refused(f"not a readable {fmt} image: {type(error).__name__}: {str(error)[:200]}") from None
    return Image(data=data, mimetype=mimetype, width=width, height=height)


def fetch_image(url):
    """A page's preview image, checked and perhaps scaled down, or None when it cannot be read or
    is not a PNG, JPEG, GIF or WebP image within the size cap."""
    if not url:
        return None
    allow_private = bool(current_app.config.get("LINK_PREVIEW_ALLOW_PRIVATE"))
    timeout = float(current_app.config.get("LINK_PREVIEW_TIMEOUT", TIMEOUT))
    max_bytes = int(current_app.config.get("LINK_PREVIEW_IMAGE_MAX_BYTES", IMAGE_MAX_BYTES))
    try:
        _final_url, _kind, body, _charset = _get(
            url, allow_private, timeout, accept=", ".join(IMAGE_TYPES), wanted=lambda kind: kind in IMAGE_TYPES,
            max_bytes=max_bytes, whole=True,
        )
        return check_image(body)
    except (Refused, OSError, http.client.HTTPException, ValueError) as error:
        log.info("No preview image from %s: %s", url[:200], error)
        return None
