"""What the client is: its IP address and whether it came over HTTPS, honouring a proxy's
headers only when the operator says so (`UseXForwardedFor`).

Behind a proxy, `X-Real-IP` is the address (nginx sets it from the connection it accepted, so a
client cannot choose it); without it, the last entry of `X-Forwarded-For`, the one the proxy in
front of us added (the entries before it are whatever the client sent, and would let anyone pick
an address to dodge the per-address limits). `X-Forwarded-Proto: https` says the browser used
HTTPS to reach the proxy.
"""

from __future__ import annotations

from quart.wrappers import BaseRequestWebsocket

from app.settings import Settings


def client_ip(request: BaseRequestWebsocket, settings: Settings) -> str:
    if settings.use_x_forwarded_for:
        real_ip = request.headers.get("X-Real-IP", "").strip()
        if real_ip:
            return real_ip
        forwarded = request.headers.get("X-Forwarded-For", "")
        nearest = forwarded.split(",")[-1].strip()
        if nearest:
            return nearest
    return request.remote_addr or "-"


def served_over_https(request: BaseRequestWebsocket, settings: Settings) -> bool:
    if request.scheme in ("https", "wss"):
        return True
    if settings.use_x_forwarded_for:
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        return proto == "https"
    return False
