"""The picture store's bound and time to live, and the cleaning of pictures (issue 16); the
whole path through the real server is tests/integration/test_pictures.py."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from app.broker.memory import MemoryPictures
from app.chat.posts import Author, Picture, Post
from app.chat.website import post_text
from app.imaging import Limits, PictureRefused, clean_picture

LIMITS = Limits(max_pixels=4_000_000, max_frames=10, max_width=640, preview_width=160)


async def test_the_store_keeps_at_most_its_capacity_the_oldest_going_first() -> None:
    store = MemoryPictures(capacity=10)
    await store.put("a", "image/jpeg", b"12345", 60)
    await store.put("b", "image/jpeg", b"1234", 60)
    await store.put("c", "image/png", b"123", 60)  # 12 bytes: "a" goes
    assert await store.get("a") is None
    found = await store.get("b")
    assert found is not None and found[:2] == ("image/jpeg", b"1234") and 59 < found[2] <= 60
    assert store.used == 7 and len(store) == 2
    await store.remove("b")
    assert store.used == 3


async def test_a_picture_past_its_time_is_gone() -> None:
    store = MemoryPictures(capacity=100)
    await store.put("a", "image/jpeg", b"x", 0.05)
    await asyncio.sleep(0.1)
    assert await store.get("a") is None and store.used == 0


def encoded(image: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


def test_a_cmyk_jpeg_comes_out_as_an_rgb_jpeg_both_sizes_capped() -> None:
    cleaned = clean_picture(encoded(Image.new("CMYK", (1000, 500), (0, 255, 255, 0)), "JPEG"), LIMITS)
    assert (cleaned.large.width, cleaned.large.height) == (640, 320)
    assert (cleaned.preview.width, cleaned.preview.height) == (160, 80)
    with Image.open(io.BytesIO(cleaned.large.data)) as image:
        assert image.mode == "RGB" and image.format == "JPEG"


def test_a_small_picture_is_not_enlarged() -> None:
    cleaned = clean_picture(encoded(Image.new("RGB", (100, 50), "red"), "PNG"), LIMITS)
    assert (cleaned.large.width, cleaned.preview.width) == (100, 100)
    assert cleaned.large.content_type == "image/jpeg"  # opaque: JPEG


@pytest.mark.parametrize("data", [b"", b"GIF89a", b"<svg xmlns='http://www.w3.org/2000/svg'/>"])
def test_what_is_not_a_jpeg_png_gif_or_webp_is_refused(data: bytes) -> None:
    with pytest.raises(PictureRefused, match="not a picture the chat can show"):
        clean_picture(data, LIMITS)


def test_a_bmp_is_refused_even_though_pillow_reads_it() -> None:
    with pytest.raises(PictureRefused, match="not a picture"):
        clean_picture(encoded(Image.new("RGB", (10, 10)), "BMP"), LIMITS)


def test_a_cameras_mpo_is_a_still_not_an_animation() -> None:
    out = io.BytesIO()
    first, depth = Image.new("RGB", (800, 600), "teal"), Image.new("RGB", (200, 150), "gray")
    first.save(out, "MPO", save_all=True, append_images=[depth])
    cleaned = clean_picture(out.getvalue(), LIMITS)
    assert (cleaned.frames, cleaned.large.content_type, cleaned.large.width) == (1, "image/jpeg", 640)


def test_an_apng_stays_animated() -> None:
    out = io.BytesIO()
    frames = [Image.new("RGB", (50, 50), colour) for colour in ("red", "green", "blue")]
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:], duration=80, loop=0)
    cleaned = clean_picture(out.getvalue(), LIMITS)
    assert (cleaned.frames, cleaned.large.content_type) == (3, "image/webp")
    with Image.open(io.BytesIO(cleaned.preview.data)) as preview:
        assert getattr(preview, "n_frames", 1) == 3 and preview.info.get("loop") == 0


def test_a_moderator_reads_where_a_reported_picture_is() -> None:
    picture = Picture(
        token="t" * 32,
        width=640,
        height=480,
        preview_width=160,
        preview_height=120,
        size=1,
        content_type="image/jpeg",
        expires=0,
    )
    post = Post(id="x", ring="offtopic", author=Author(name="alice"), body="", ts=0, picture=picture)
    assert post_text(post) == f"(a picture, 640 × 480: /pictures/{'t' * 32})"
