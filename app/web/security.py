"""What every response says about itself, and which forms another website may send.

- Headers on every HTTP response: a strict Content-Security-Policy (scripts and styles from this
  server, or inline with this response's nonce; `frame-ancestors` from `FrameAncestors`),
  `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`, and under HTTPS (TLS here,
  or `X-Forwarded-Proto: https` from a proxy with `UseXForwardedFor`) `Strict-Transport-Security`
  and a `Secure` session cookie.
- Forms that change who a browser is (`POST /login`, `POST /logout`, the token `POST /`) are
  refused when another website sent them (`cross_site`): their `Origin` must be this chat's own,
  or for the token post the host site's (`WebsiteURL`, `CORSHosts`). A browser always sends
  `Origin` on a POST; without one, `Sec-Fetch-Site` decides; a client that sends neither is not
  a browser a page could have steered.

No `'unsafe-eval'` and no `'unsafe-inline'`: htmx's `hx-on:*` attributes (compiled with
`new Function` when they fire) do not run here; docs/architecture.md says what to use instead.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from quart import Quart, Response, g, request
from quart.sessions import SecureCookieSessionInterface
from quart.wrappers import BaseRequestWebsocket

from app.settings import Settings
from app.web.client_ip import served_over_https

HSTS = "max-age=31536000"


def csp_nonce() -> str:
    """This response's nonce for inline `<script>` and `<style>` (one per request)."""
    nonce: str | None = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(settings: Settings, nonce: str, host: str) -> str:
    ancestors = " ".join(("'self'", *settings.frame_ancestors))
    images = " ".join(("'self'", "data:", "https:", _origin(settings.website_url)))
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            "style-src-attr 'unsafe-inline'",  # the emoji picker's templates set style="..."
            f"img-src {images}",
            "font-src 'self'",
            f"connect-src 'self' ws://{host} wss://{host}",
            "media-src 'self' blob: mediastream:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {ancestors}",
        )
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def origin_allowed(origin: str | None, host: str, allowed: tuple[str, ...]) -> bool:
    """The page's own origin, or one the operator listed."""
    if not origin:
        return False
    if origin.rstrip("/") in allowed:
        return True
    return urlsplit(origin).netloc.lower() == host.lower()


def cross_site(request: BaseRequestWebsocket, allowed: tuple[str, ...] = ()) -> bool:
    """A form another website made this browser send (origins in `allowed` may)."""
    origin = request.headers.get("Origin")
    if origin is not None:
        return not origin_allowed(origin, request.host, allowed)
    return request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none")


def token_post_origins(settings: Settings) -> tuple[str, ...]:
    """Where the host site may post a sign-in token from."""
    website = _origin(settings.website_url)
    return (*settings.cors_hosts, website) if website else settings.cors_hosts


class SessionCookie(SecureCookieSessionInterface):
    """Quart's signed cookie, made `Secure` whenever this request came over HTTPS."""

    def __init__(self, settings: Callable[[], Settings]) -> None:
        self.settings = settings

    def get_cookie_secure(self, app: Quart) -> bool:
        return served_over_https(request, self.settings()) or bool(app.config["SESSION_COOKIE_SECURE"])


def install_security(app: Quart, current: Callable[[], Settings]) -> None:
    """The session cookie and the headers every response carries, from the `current` settings
    (they may be reloaded while the chat runs)."""
    app.session_interface = SessionCookie(current)

    @app.after_request
    async def security_headers(response: Response) -> Response:
        settings = current()
        headers = response.headers
        headers["Content-Security-Policy"] = content_security_policy(settings, csp_nonce(), request.host)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        if served_over_https(request, settings):
            headers["Strict-Transport-Security"] = HSTS
        return response
