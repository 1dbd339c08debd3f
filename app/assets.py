"""Static files with cache-busting: `asset('css/chat.css')` -> `/static/css/chat.css?v=<hash>`.

Our ES modules import each other by plain relative paths (`./prefs.js`); `import_map()` maps
each of those URLs to its versioned one, so a module graph is always loaded from one release.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from jinja2 import Environment
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


CLASSIC_SCRIPTS = {"js/boot.js"}  # plain scripts in static/js/, not ES modules


@cache
def modules() -> tuple[str, ...]:
    """Every ES module in static/js/, as a path under static/."""
    found = (path.relative_to(STATIC).as_posix() for path in (STATIC / "js").glob("*.js"))
    return tuple(sorted(path for path in found if path not in CLASSIC_SCRIPTS))


@cache
def import_map() -> str:
    """The JSON of an import map for every module in static/js/, safe inside `<script>`."""
    imports = {f"/static/{module}": asset(module) for module in modules()}
    return json.dumps({"imports": imports}, separators=(",", ":")).replace("</", "<\\/")


def module_preloads() -> list[str]:
    """Versioned URLs of every module, for `<link rel="modulepreload">`: the browser fetches
    them all at once instead of discovering one import after another."""
    return [asset(module) for module in modules()]


def install_asset_helper(app: Quart, templates: Environment) -> None:
    """The template helpers, and long caching for versioned static files."""
    templates.globals["asset"] = asset
    templates.globals["import_map"] = import_map
    templates.globals["module_preloads"] = module_preloads

    @app.after_request
    async def cache_static(response: Response) -> Response:
        if request.path.startswith("/static/"):
            if request.args.get("v"):
                response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            else:
                response.headers["Cache-Control"] = "no-cache"
        return response
