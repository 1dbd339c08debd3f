"""Static files with cache-busting: `asset('css/chat.css')` -> `/static/css/chat.css?v=<hash>`."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from quart import Quart, Response, request

STATIC = Path(__file__).resolve().parent / "static"


@cache
def _version(path: str) -> str:
    try:
        return hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12]
    except OSError:
        return "missing"


def asset(path: str) -> str:
    return f"/static/{path}?v={_version(path)}"


def install_asset_helper(app: Quart) -> None:
    app.jinja_env.globals["asset"] = asset

    @app.after_request
    async def cache_static(response: Response) -> Response:
        if request.path.startswith("/static/"):
            if request.args.get("v"):
                response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            else:
                response.headers["Cache-Control"] = "no-cache"
        return response
