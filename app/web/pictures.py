"""Pictures over HTTP: `POST /pictures?to=TARGET` shares one, `GET /pictures/TOKEN` serves it.

The upload is the file itself as the request body (what `fetch(url, {body: file})` sends), from
the chat's own page: the session cookie says who is sharing, and `Origin` must be the chat's own
(no other website may make a signed-in browser share something). Then, in this order, each
refusal in words (the HTTP answer, and a notice on the sender's page): the sender may share
there (`SharedPictures.refusal`: the channel's `PermitPhotos`, `[Photos] PermitInDMs`, the
`noimage` rule), `[Photos] UploadsPerMinute` (per person, on each process), `MaxImageBytes` (from
`Content-Length`, and counted while reading), a free place in the decoding queue, then the
decode itself (`app/imaging.py`, in a thread of `PictureWork`). The renditions go into the
`PictureStore` and the message is posted; the answer is 201 with the message's id.

A picture is served from the store by its unguessable token (anyone holding the URL may see it,
as anyone in the room could): `Content-Type` of the re-encoding, `Cache-Control: private` for
the time it has left, `X-Content-Type-Options: nosniff` (on every response), and
`Cross-Origin-Resource-Policy: same-origin` so other websites cannot show it. Gone (expired,
pushed out of the bound, or taken back): 404.
"""

from __future__ import annotations

import logging
import re

from quart import Blueprint, Response, jsonify, request

from app.chat.events import Notice
from app.chat.pictures import PREVIEW, new_token
from app.chat.ports import StoreUnavailable
from app.chat.posts import Picture
from app.chat.protocol import FrameError
from app.imaging import Busy, Cleaned, Limits, PictureRefused
from app.settings import PhotoSettings
from app.web.client_ip import client_ip
from app.web.pages import current_identity
from app.web.security import origin_allowed
from app.web.state import chat_state

log = logging.getLogger("app.pictures")
blueprint = Blueprint("pictures", __name__)
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
BUSY = "The chat is busy with other pictures right now; please try again in a moment."


def limits_of(photos: PhotoSettings) -> Limits:
    return Limits(
        max_pixels=photos.max_image_pixels,
        max_frames=photos.max_frames,
        max_width=photos.max_image_width,
        preview_width=photos.preview_image_width,
    )


async def refuse(status: int, text: str, name: str = "") -> Response:
    """The refusal as the HTTP answer, and as a notice on `name`'s page (when they are here)."""
    if name:
        room = chat_state().room
        await room.publish(Notice((name,), room.render.notice(text)))
    return Response(text, status=status, content_type="text/plain; charset=utf-8")


def too_large(photos: PhotoSettings) -> str:
    return f"That picture is too large: the chat takes files up to {photos.max_image_bytes / 1024 / 1024:g} MB."


async def read_body(limit: int) -> bytes | None:
    """The request body, or None as soon as it is longer than `limit`."""
    parts: list[bytes] = []
    size = 0
    async for chunk in request.body:
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


@blueprint.post("/pictures")
async def upload() -> Response:
    state = chat_state()
    photos = state.settings.photos
    origin = request.headers.get("Origin")
    if not origin_allowed(origin, request.host, ()):
        log.warning("%s refused a picture upload from origin %r", client_ip(request, state.settings), origin)
        return await refuse(403, "This picture came from another website, so the chat did not share it.")
    identity = await current_identity()
    if identity is None:
        return await refuse(401, "Please sign in to the chat to share pictures.")
    name, target = identity.name, request.args.get("to", "")
    if (refusal := state.room.pictures.refusal(name, target)) is not None:
        return await refuse(403, refusal, name)
    state.uploads.add(name)
    if state.uploads.count(name) > photos.uploads_per_minute:
        return await refuse(429, f"You can share {photos.uploads_per_minute} pictures a minute; wait a little.", name)
    if (request.content_length or 0) > photos.max_image_bytes:
        return await refuse(413, too_large(photos), name)
    data = await read_body(photos.max_image_bytes)
    if data is None:
        return await refuse(413, too_large(photos), name)
    if not data:
        return await refuse(400, "That file is empty.", name)
    try:
        cleaned = await state.picture_work.clean(data, limits_of(photos))
    except Busy:
        return await refuse(503, BUSY, name)
    except PictureRefused as refused:
        return await refuse(422, str(refused), name)
    return await _share(name, target, cleaned)


async def _share(name: str, target: str, cleaned: Cleaned) -> Response:
    pictures = chat_state().room.pictures
    token = new_token()
    large, preview = cleaned.large, cleaned.preview
    try:
        await pictures.keep(token, (large.content_type, large.data), (preview.content_type, preview.data))
    except StoreUnavailable:
        return await refuse(503, "The chat cannot keep pictures right now; please try again in a moment.", name)
    picture = Picture(
        token=token,
        width=large.width,
        height=large.height,
        preview_width=preview.width,
        preview_height=preview.height,
        size=len(large.data),
        content_type=large.content_type,
        expires=pictures.expiry(),
        frames=cleaned.frames,
    )
    try:
        post = await pictures.share(name, target, picture)
    except FrameError as error:  # they left, or were blocked, while it was decoding
        await pictures.store.remove(token)
        await pictures.store.remove(token + PREVIEW)
        return await refuse(403, str(error), name)
    response = jsonify({"id": post.id, "url": picture.url, "preview": picture.preview_url})
    response.status_code = 201
    return response


@blueprint.get("/pictures/<token>", defaults={"rendition": ""})
@blueprint.get("/pictures/<token>/<rendition>")
async def picture(token: str, rendition: str) -> Response:
    if not TOKEN.fullmatch(token) or rendition not in ("", "preview"):
        return gone()
    found = await chat_state().room.pictures.store.get(token + (PREVIEW if rendition else ""))
    if found is None:
        return gone()
    content_type, data, left = found
    response = Response(data, content_type=content_type)
    response.headers["Cache-Control"] = f"private, max-age={max(1, int(left))}, immutable"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def gone() -> Response:
    minutes = chat_state().settings.photos.keep_minutes
    text = f"This picture is gone: shared pictures are kept for {minutes:g} minutes."
    response = Response(text, status=404, content_type="text/plain; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response
