"""The JSON API: /api/statistics, as the Go original serves it, with CORS for CORSHosts.

Statistics are seen by whoever asks. A request that carries a chat session (the chat's own
pages, or the host site's pages calling with `credentials: "include"`, which CORSHosts origins
may) gets the room as that person sees it: people blocked with them are left out of the names,
the count and the camera counts. A request without one (a server, a stranger) gets the public
picture, everyone present; an anonymous API cannot know whom to hide from, and a blocked person
can always look without signing in, so a block keeps people apart in the chat and does not
pretend to make anyone secret.
"""

from __future__ import annotations

from quart import Blueprint, Response, jsonify, request, session

from app.auth import session_identity
from app.web.state import chat_state

blueprint = Blueprint("api", __name__, url_prefix="/api")


def _with_cors(response: Response) -> Response:
    origin = request.headers.get("Origin", "")
    response.vary.add("Origin")
    response.vary.add("Cookie")
    if origin and origin in chat_state().settings.cors_hosts:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Access-Control-Allow-Methods"] = "GET, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


@blueprint.route("/statistics", methods=["GET", "OPTIONS"], provide_automatic_options=False)
async def statistics() -> Response:
    if request.method == "OPTIONS":
        return _with_cors(Response("", status=204))
    state = chat_state()
    identity = session_identity(session.get("identity"), state.settings)
    viewer = await state.room.viewer(identity) if identity is not None else None
    members = state.room.who.members() if viewer is None else state.room.who.visible_to(viewer)
    names = sorted((member.name for member in members), key=str.casefold)
    cameras = {
        "Blue": sum(1 for member in members if member.camera == "on"),
        "Red": sum(1 for member in members if member.camera == "nsfw"),
    }
    return _with_cors(jsonify({"UserCount": len(names), "Usernames": names, "Cameras": cameras}))
