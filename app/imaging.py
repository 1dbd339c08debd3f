"""Uploaded pictures made safe and small: decode with limits, clean, shrink, encode anew.

`clean_picture(data, limits)` runs in a worker thread (`app/web/pictures.py` owns the pool) and
returns two renditions the server encoded itself: `large` (at most `MaxImageWidth` wide) and
`preview` (at most `PreviewImageWidth` wide). Nothing of the uploaded file survives but its
pixels, so no metadata does either: no EXIF (GPS, camera, the orientation tag once applied), no
XMP, no comments, no ICC profile (the pixels are converted to sRGB first, so colours hold).

Accepted: JPEG, PNG, GIF and WebP (Pillow told to try only those). Refused, each in words the
sender reads (`PictureRefused`): not one of them, a broken file, more than `MaxImagePixels`
pixels (a decompression bomb: checked from the header before anything is decoded; Pillow's own
check, at its default `Image.MAX_IMAGE_PIXELS`, stays as a second line, its warning made an
error), more than `MaxFrames` frames. Pillow's global is left alone: the limit is ours, per call.

What comes out:
- one frame, opaque: JPEG (quality 85), the smallest for photographs;
- one frame with transparency: PNG;
- animated (GIF, WebP or APNG of several frames): kept animated, as an animated WebP, every
  frame scaled, with the frames' durations and the loop count; Chromium, Firefox and Safari
  show it. (A camera's MPO, a JPEG with a second image appended, is a still: its first.)

Decoding runs in `PictureWork`'s threads: at most two, and at most `QUEUE` uploads decoding or
waiting in a process; one more is refused (`Busy`) rather than queued.
"""

from __future__ import annotations

import asyncio
import io
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, ImageSequence, UnidentifiedImageError

FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
JPEG_QUALITY = 85
WEBP_QUALITY = 80
QUEUE = 8  # uploads decoding or waiting for a thread, per process; more are asked to wait

SRGB = ImageCms.createProfile("sRGB")

# A decompression-bomb warning is a refusal here, not a line in the log.
warnings.simplefilter("error", Image.DecompressionBombWarning)


class PictureRefused(Exception):
    """Why an upload is not shared, in words for its sender."""


@dataclass(frozen=True)
class Limits:
    max_pixels: int
    max_frames: int
    max_width: int
    preview_width: int


@dataclass(frozen=True)
class Rendition:
    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class Cleaned:
    large: Rendition
    preview: Rendition
    frames: int


def clean_picture(data: bytes, limits: Limits) -> Cleaned:
    """The two renditions of an uploaded file, or `PictureRefused`."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            return _clean(image, limits)
    except PictureRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PictureRefused(_too_many_pixels(limits)) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise PictureRefused("That file is not a picture the chat can show (JPEG, PNG, GIF or WebP).") from None


def _too_many_pixels(limits: Limits) -> str:
    return (
        f"That picture has too many pixels (more than {limits.max_pixels / 1e6:g} million), "
        "so the chat will not open it."
    )


def _clean(image: Image.Image, limits: Limits) -> Cleaned:
    width, height = image.size
    if width * height > limits.max_pixels:
        raise PictureRefused(_too_many_pixels(limits))
    # An MPO (a camera's JPEG with a second image, a depth map or a preview, appended) is a still.
    frames = 1 if image.format == "MPO" else getattr(image, "n_frames", 1)
    if frames > limits.max_frames:
        raise PictureRefused(f"That animation has {frames} frames; the chat takes at most {limits.max_frames}.")
    if frames > 1:
        return _animated(image, frames, limits)
    if image.format in ("JPEG", "MPO"):  # let the decoder scale down by 1/2, 1/4 or 1/8 as it reads,
        sideways = image.getexif().get(0x0112, 1) in (5, 6, 7, 8)  # as long as, upright, it stays
        image.draft("RGB", (1, limits.max_width) if sideways else (limits.max_width, 1))  # MaxImageWidth wide
    upright = _srgb(ImageOps.exif_transpose(image))
    large = _fit(upright, limits.max_width)
    preview = _fit(large, limits.preview_width)
    return Cleaned(_encode_still(large), _encode_still(preview), 1)


def _srgb(image: Image.Image) -> Image.Image:
    """The pixels in sRGB (from the file's ICC profile, if it has one), in RGB or RGBA."""
    profile = image.info.get("icc_profile")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    if profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            converted = ImageCms.profileToProfile(image, source, SRGB)
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: the pixels as they are
    image.info = {}
    return image


def _fit(image: Image.Image, width: int) -> Image.Image:
    if image.width <= width:
        return image
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS)


def _encode_still(image: Image.Image) -> Rendition:
    out = io.BytesIO()
    image.info = {}
    if image.mode == "RGBA" and _transparent(image):
        image.save(out, "PNG", optimize=True)
        kind = "image/png"
    else:
        image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        kind = "image/jpeg"
    return Rendition(out.getvalue(), kind, image.width, image.height)


def _transparent(image: Image.Image) -> bool:
    lowest = image.getchannel("A").getextrema()[0]
    return isinstance(lowest, int | float) and lowest < 255


def _animated(image: Image.Image, frames: int, limits: Limits) -> Cleaned:
    if image.width * image.height * frames > limits.max_pixels * 4:
        raise PictureRefused(_too_many_pixels(limits))
    loop = image.info.get("loop")
    loop = 1 if loop is None else int(loop)  # a GIF without a loop count plays once; 0 loops forever
    large: list[Image.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(image):
        durations.append(max(20, int(frame.info.get("duration", 100) or 100)))
        large.append(_fit(_srgb(frame), limits.max_width))
    previews = [_fit(frame, limits.preview_width) for frame in large]
    return Cleaned(_encode_animation(large, durations, loop), _encode_animation(previews, durations, loop), frames)


def _encode_animation(frames: list[Image.Image], durations: list[int], loop: int) -> Rendition:
    out = io.BytesIO()
    first = frames[0]
    first.save(
        out,
        "WEBP",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=loop,
        quality=WEBP_QUALITY,
        exif=b"",
        icc_profile=b"",
        xmp=b"",
    )
    return Rendition(out.getvalue(), "image/webp", first.width, first.height)


class Busy(Exception):
    """Every place in the decoding queue is taken."""


class PictureWork:
    """Decoding in a small thread pool with a bounded queue: the event loop never decodes, and
    a flood of uploads is refused rather than queued without end."""

    def __init__(self, workers: int = min(2, os.cpu_count() or 1), queue: int = QUEUE) -> None:
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="pictures")
        self.queue = queue
        self.busy = 0

    async def clean(self, data: bytes, limits: Limits) -> Cleaned:
        if self.busy >= self.queue:
            raise Busy
        self.busy += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, clean_picture, data, limits)
        finally:
            self.busy -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
