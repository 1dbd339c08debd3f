"""Shared pictures through the real server (issue 16): uploaded over HTTP with the session
cookie, cleaned and shrunk by the server, served from its store, announced on real sockets."""

from __future__ import annotations

import asyncio
import html
import io
import re
import struct
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageCms

from app.broker.redis_pictures import RedisPictures
from tests.conftest import redis_settings
from tests.support import ChatClient, RedisServer, Server, running_server, write_settings

PHOTOS = {"MaxImageBytes": 3 * 1024 * 1024, "MaxFrames": 4, "PermitInDMs": False, "UploadsPerMinute": 100}
CHANNELS = [
    {"ID": "lobby", "Name": "Lobby", "EchoMessagesOnJoin": 10},
    {"ID": "photos", "Name": "Photos", "PermitPhotos": True, "EchoMessagesOnJoin": 10},
]
RULES = [{"Username": "mallory", "NoImage": True}]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(
        tmp_path_factory.mktemp("pictures"), Photos=PHOTOS, PublicChannels=CHANNELS, ModerationRule=RULES
    ) as running:
        yield running


# --- pictures made for the tests ---------------------------------------------------------


def jpeg_with_gps_and_orientation(width: int = 3000, height: int = 1600) -> bytes:
    """Top half red, bottom half blue, stored sideways: EXIF orientation 6 says "turn it a
    quarter clockwise to show it", so upright it is blue on the left, red on the right."""
    image = Image.new("RGB", (width, height), "blue")
    image.paste("red", (0, 0, width, height // 2))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}  # GPSInfo
    out = io.BytesIO()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image.save(out, "JPEG", exif=exif.tobytes(), icc_profile=srgb, comment=b"secret comment", quality=90)
    return out.getvalue()


def png_with_alpha() -> bytes:
    image = Image.new("RGBA", (400, 300), (0, 128, 0, 0))
    image.paste((0, 128, 0, 255), (100, 100, 300, 200))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def gif(frames: int) -> bytes:
    images = [Image.new("RGB", (120, 80), (index * 40, 0, 255 - index * 40)) for index in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0, comment=b"hello")
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (500, 500), "orange").save(out, "WEBP")
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims `width` × `height` pixels (a decompression bomb's header) and carries
    almost nothing: a decoder that believed it would allocate gigabytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


# --- talking to the server -----------------------------------------------------------------


def upload(server: Server, client: ChatClient, data: bytes, to: str, *, origin: str | None = None) -> httpx.Response:
    return httpx.post(
        f"{server.url}/pictures",
        params={"to": to},
        content=data,
        headers={"Origin": origin or server.url, "Content-Type": "application/octet-stream"},
        cookies={"barertc_session": client.cookie},
        timeout=30,
    )


def fetch(server: Server, path: str) -> httpx.Response:
    return httpx.get(server.url + path, timeout=10)


def picture_urls(text: str) -> tuple[str, str]:
    """The large and preview URLs of the last picture a client was shown."""
    larges = re.findall(r'data-large="(/pictures/[A-Za-z0-9_-]{32})"', text)
    previews = re.findall(r'src="(/pictures/[A-Za-z0-9_-]{32}/preview)"', text)
    assert larges and previews, text[-2000:]
    return larges[-1], previews[-1]


async def shown(client: ChatClient, check: Callable[[str], object], timeout: float = 10.0) -> None:
    await client.wait_for(lambda _: check(client.text()), timeout)


async def told(client: ChatClient, words: str) -> None:
    await client.wait_for(lambda t: "#notices" in t and words in html.unescape(t))


# --- the tests -------------------------------------------------------------------------------


async def test_a_jpeg_is_shown_upright_without_its_exif_and_no_wider_than_the_limit(server: Server) -> None:
    alice = await ChatClient.join(server.url, "alice")
    bob = await ChatClient.join(server.url, "bob")
    original = jpeg_with_gps_and_orientation()
    with Image.open(io.BytesIO(original)) as sent:  # what goes up does carry all of it
        assert sent.getexif().get_ifd(0x8825) and "icc_profile" in sent.info and sent.info.get("comment")
    before = len(bob.frames)

    answer = await asyncio.to_thread(upload, server, alice, original, "photos")
    assert answer.status_code == 201, answer.text
    await shown(bob, lambda t: "data-picture" in t)
    fragment = "".join(bob.frames[before:])
    assert 'alt="Picture from alice"' in fragment
    assert 'width="1280" height="2400"' not in fragment  # the fragment names the preview's size...
    assert 'width="360" height="675"' in fragment and 'data-width="1280" data-height="2400"' in fragment
    assert len(fragment.encode()) < 4000  # ...and no bytes of the picture: about a text message's cost
    large_url, preview_url = picture_urls(bob.text())
    assert answer.json()["url"] == large_url

    large = await asyncio.to_thread(fetch, server, large_url)
    assert large.status_code == 200
    assert large.headers["content-type"] == "image/jpeg"
    assert large.headers["x-content-type-options"] == "nosniff"
    assert large.headers["cache-control"].startswith("private, max-age=")
    for secret in (b"SecretCam", b"secret comment", b"Exif", b"ICC_PROFILE"):
        assert secret not in large.content
    with Image.open(io.BytesIO(large.content)) as stored:
        assert stored.size == (1280, 2400)  # turned upright (1600 × 3000), then capped at 1280 wide
        assert len(stored.getexif()) == 0 and "icc_profile" not in stored.info and "comment" not in stored.info
        red, _, blue = stored.convert("RGB").getpixel((20, 1200))  # type: ignore[misc]
        assert blue > 200 and red < 60  # left: blue
        red, _, blue = stored.convert("RGB").getpixel((1260, 1200))  # type: ignore[misc]
        assert red > 200 and blue < 60  # right: red
    preview = await asyncio.to_thread(fetch, server, preview_url)
    with Image.open(io.BytesIO(preview.content)) as small:
        assert small.size == (360, 675)


async def test_png_gif_and_webp_are_accepted(server: Server) -> None:
    alice = await ChatClient.join(server.url, "alice")
    cases = [(png_with_alpha(), "image/png", 1), (gif(3), "image/webp", 3), (webp(), "image/jpeg", 1)]
    for data, kind, frames in cases:
        answer = await asyncio.to_thread(upload, server, alice, data, "photos")
        assert answer.status_code == 201, answer.text
        stored = await asyncio.to_thread(fetch, server, answer.json()["url"])
        assert stored.headers["content-type"] == kind
        with Image.open(io.BytesIO(stored.content)) as image:
            assert getattr(image, "n_frames", 1) == frames
            assert "comment" not in image.info and "exif" not in image.info


async def test_every_bad_upload_is_refused_with_its_message_and_nobody_gets_anything(server: Server) -> None:
    alice = await ChatClient.join(server.url, "alice")
    mallory = await ChatClient.join(server.url, "mallory")
    bob = await ChatClient.join(server.url, "bob")
    await shown(bob, lambda t: 'id="who-' in t)
    before = len(bob.frames)
    cases: list[tuple[ChatClient, bytes, str, int, str]] = [
        (alice, b"this is not a picture at all", "photos", 422, "not a picture the chat can show"),
        (alice, b"\xff" * (3 * 1024 * 1024 + 1), "photos", 413, "too large: the chat takes files up to 3 MB"),
        (alice, png_header_only(30_000, 30_000), "photos", 422, "too many pixels (more than 40 million)"),
        (alice, png_header_only(7_000, 7_000), "photos", 422, "too many pixels (more than 40 million)"),
        (alice, gif(6), "photos", 422, "That animation has 6 frames; the chat takes at most 4."),
        (alice, webp(), "lobby", 403, "Pictures cannot be shared in Lobby."),
        (alice, webp(), "nowhere", 403, "There is no channel 'nowhere'."),
        (alice, webp(), "@bob", 403, "Pictures cannot be shared in direct messages on this chat."),
        (mallory, webp(), "photos", 403, "A moderation rule of the website keeps you from sharing pictures here."),
    ]
    for sender, data, to, status, words in cases:
        answer = await asyncio.to_thread(upload, server, sender, data, to)
        assert (answer.status_code, words in answer.text) == (status, True), answer.text
        await told(sender, words)
    cross_site = await asyncio.to_thread(upload, server, alice, webp(), "photos", origin="https://evil.example")
    assert cross_site.status_code == 403 and "another website" in cross_site.text
    no_cookie = await asyncio.to_thread(
        lambda: httpx.post(f"{server.url}/pictures?to=photos", content=webp(), headers={"Origin": server.url})
    )
    assert no_cookie.status_code == 401 and "sign in" in no_cookie.text

    await bob.quiet(0.5)
    assert "data-picture" not in "".join(bob.frames[before:])
    assert (await asyncio.to_thread(upload, server, alice, webp(), "photos")).status_code == 201  # unharmed


async def test_mute_and_block_apply_to_pictures_as_to_messages(server: Server) -> None:
    alice = await ChatClient.join(server.url, "alice")
    bob = await ChatClient.join(server.url, "bob")
    carol = await ChatClient.join(server.url, "carol")
    await bob.send(action="mute", username="alice")
    await carol.send(action="block", username="alice")
    await carol.quiet(0.3)
    await bob.quiet(0.3)
    before_bob, before_carol = len(bob.frames), len(carol.frames)
    answer = await asyncio.to_thread(upload, server, alice, webp(), "photos")
    assert answer.status_code == 201
    await shown(alice, lambda t: answer.json()["id"] in t)
    await bob.quiet(0.5)
    assert "data-picture" not in "".join(bob.frames[before_bob:] + carol.frames[before_carol:])


async def test_a_picture_taken_back_is_gone_for_everyone_and_from_the_store(server: Server) -> None:
    alice = await ChatClient.join(server.url, "alice")
    bob = await ChatClient.join(server.url, "bob")
    answer = await asyncio.to_thread(upload, server, alice, webp(), "photos")
    message = answer.json()["id"]
    await shown(bob, lambda t: f'id="m-{message}"' in t)
    await alice.send(action="takeback", id=message)
    await shown(bob, lambda t: f'<article id="m-{message}" hx-swap-oob="delete">' in t)
    for path in (answer.json()["url"], answer.json()["preview"]):
        assert (await asyncio.to_thread(fetch, server, path)).status_code == 404


async def test_too_many_uploads_a_minute_are_refused(tmp_path: Path) -> None:
    with running_server(tmp_path, Photos={"UploadsPerMinute": 2}) as server:
        alice = await ChatClient.join(server.url, "alice")
        statuses = [(await asyncio.to_thread(upload, server, alice, webp(), "offtopic")).status_code for _ in range(3)]
        assert statuses == [201, 201, 429]
        await told(alice, "You can share 2 pictures a minute")


async def test_a_picture_in_a_dm_reaches_its_two_people_only(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:  # [Photos] PermitInDMs is on by default
        alice = await ChatClient.join(server.url, "alice")
        bob = await ChatClient.join(server.url, "bob")
        carol = await ChatClient.join(server.url, "carol")
        answer = await asyncio.to_thread(upload, server, alice, webp(), "@bob")
        assert answer.status_code == 201, answer.text
        preview = answer.json()["preview"]
        for person in (alice, bob):
            await shown(person, lambda t: 'id="log-dm-' in t and preview in t)
        await carol.quiet(0.5)
        assert preview not in carol.text()
        refused = await asyncio.to_thread(upload, server, alice, webp(), "@nobody")
        assert refused.status_code == 403 and "nobody is not in the room" in refused.text


async def test_an_expired_picture_answers_404_and_its_message_says_it_is_gone(tmp_path: Path) -> None:
    with running_server(tmp_path, Photos={"KeepMinutes": 0.02}, PublicChannels=CHANNELS) as server:
        alice = await ChatClient.join(server.url, "alice")
        answer = await asyncio.to_thread(upload, server, alice, webp(), "photos")
        assert answer.status_code == 201
        url = answer.json()["url"]
        assert (await asyncio.to_thread(fetch, server, url)).status_code == 200

        async def expired() -> bool:
            while (await asyncio.to_thread(fetch, server, url)).status_code != 404:
                await asyncio.sleep(0.2)
            return True

        assert await asyncio.wait_for(expired(), 10)
        gone = await asyncio.to_thread(fetch, server, url)
        assert "This picture is gone" in gone.text
        newcomer = await ChatClient.join(server.url, "newcomer")  # the channel's history shows it gone
        await shown(newcomer, lambda t: 'class="picture is-gone"' in t and "This picture is gone" in t)


@pytest.mark.redis
async def test_a_picture_uploaded_on_one_process_is_served_by_the_other(
    tmp_path: Path, shared_redis: RedisServer
) -> None:
    path = write_settings(tmp_path / "settings.toml", Redis=redis_settings(shared_redis))
    one, two = Server(path).start(), Server(path).start()
    try:
        alice = await ChatClient.join(one.url, "alice")
        bob = await ChatClient.join(two.url, "bob")
        await shown(alice, lambda t: 'id="who-' in t and "bob" in t)
        answer = await asyncio.to_thread(upload, one, alice, jpeg_with_gps_and_orientation(), "offtopic")
        assert answer.status_code == 201, answer.text
        await shown(bob, lambda t: answer.json()["preview"] in t)
        here = await asyncio.to_thread(fetch, one, answer.json()["url"])
        there = await asyncio.to_thread(fetch, two, answer.json()["url"])
        assert there.status_code == 200 and there.content == here.content
        assert there.headers["content-type"] == "image/jpeg"
    finally:
        one.stop()
        two.stop()


@pytest.mark.redis
async def test_the_redis_store_holds_its_bound_the_oldest_going_first(shared_redis: RedisServer) -> None:
    # Each entry takes its content type, a newline and its bytes: 16, 16 and 13 bytes here.
    store = RedisPictures(shared_redis.url, f"test-{uuid.uuid4().hex[:10]}", capacity=40)
    try:
        await store.put("a", "image/jpeg", b"12345", 60)
        await store.put("b", "image/jpeg", b"\x00\xff\n34", 60)  # bytes stay bytes, newline and all
        await store.put("c", "image/png", b"123", 60)  # 45 bytes in all: "a" goes
        assert await store.get("a") is None
        found = await store.get("b")
        assert found is not None and found[:2] == ("image/jpeg", b"\x00\xff\n34") and 59 < found[2] <= 60
        await store.remove("b")
        assert await store.get("b") is None and await store.get("c") is not None
        await store.put("d", "image/png", b"x", 0.05)
        await asyncio.sleep(0.2)
        assert await store.get("d") is None
    finally:
        await store.close()
