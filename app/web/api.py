"""The JSON API: /api/statistics, as the Go original serves it, with CORS for CORSHosts."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify, request

from app.web.state import chat_state

blueprint = Blueprint("api", __name__, url_prefix="/api")


def _with_cors(response: Response) -> Response:
    origin = request.headers.get("Origin", "")
    response.vary.add("Origin")
    if origin and origin in chat_state().settings.cors_hosts:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


@blueprint.route("/statistics", methods=["GET", "OPTIONS"], provide_automatic_options=False)
async def statistics() -> Response:
    if request.method == "OPTIONS":
        return _with_cors(Response("", status=204))
    roster = chat_state().room.roster
    names = sorted(roster, key=str.casefold)
    cameras = [member.camera for member in roster.values()]
    counts = {"Blue": cameras.count("on"), "Red": cameras.count("nsfw")}  # as the Go BareRTC counts them
    return _with_cors(jsonify({"UserCount": len(names), "Usernames": names, "Cameras": counts}))
