"""The client's IP address, honouring a proxy's headers only when the operator says so."""

from __future__ import annotations

from quart.wrappers import BaseRequestWebsocket

from app.settings import Settings


def client_ip(request: BaseRequestWebsocket, settings: Settings) -> str:
    if settings.use_x_forwarded_for:
        real_ip = request.headers.get("X-Real-IP", "").strip()
        if real_ip:
            return real_ip
        forwarded = request.headers.get("X-Forwarded-For", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return request.remote_addr or "-"
