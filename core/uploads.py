"""Uploaded images: checked to be real images (Pillow), stored under UPLOAD_FOLDER with a random
name, served at /uploads/<filename>.

``save_image`` stores the checked file as uploaded; ``save_photo`` re-encodes it from its pixels only
(upright, at most ``max_side`` on the longer side, JPEG) so no EXIF, GPS, XMP, ICC profile or text chunk
of the member's camera or phone ever reaches other members."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Blueprint, current_app, send_from_directory
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from core.db import after_commit
from core.errors import DomainError

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
MAX_PIXELS = 40_000_000

bp = Blueprint("uploads", __name__)


def _folder() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"])
    path.mkdir(parents=True, exist_ok=True)
    return path


# What Pillow raises for a file that is not an image, is cut short or corrupt, or claims a decompression bomb's size.
_UNREADABLE = (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError)


def _unreadable(field: str, status: int | None) -> DomainError:
    return DomainError("bad_image", _l("That file is not an image we can read (JPEG, PNG, WebP or GIF)."),
                       field=field, status=status)


def _checked_image(file: FileStorage, field: str, status: int | None = None) -> str:
    """The upload's format if it is a readable image of an allowed format and size; ``bad_image`` if not.
    Leaves the stream at its start."""
    try:
        with Image.open(file.stream) as image:
            image.verify()
            fmt = image.format
            width, height = image.size
    except _UNREADABLE:
        raise _unreadable(field, status) from None
    finally:
        file.stream.seek(0)
    if fmt not in ALLOWED_FORMATS or width * height > MAX_PIXELS:
        raise DomainError("bad_image", _l("Use a JPEG, PNG, WebP or GIF image of reasonable size."),
                          field=field, status=status)
    return fmt


def save_image(file: FileStorage, field: str = "image") -> str:
    """Store an uploaded image and return its file name. Raises ``bad_image`` for anything else.

    The file is written now; if the unit of work rolls back, nothing references it (a stray file,
    never a broken record)."""
    fmt = _checked_image(file, field)
    name = f"{secrets.token_hex(16)}.{ALLOWED_FORMATS[fmt]}"
    file.stream.seek(0)
    file.save(_folder() / name)
    return name


def save_photo(file: FileStorage, field: str = "photo", max_side: int = 1600) -> str:
    """Store a member's photo as a clean JPEG and return its file name; ``bad_image`` (422) otherwise.

    Accepts what ``save_image`` accepts (an animated GIF, WebP or PNG keeps its first frame). The EXIF
    orientation is applied, then the picture is rebuilt from its pixels alone, so EXIF (GPS too), XMP,
    the ICC profile (wide-gamut colours fall back to sRGB's) and PNG text are all dropped. Transparency
    is laid on white. The longer side is cut to ``max_side``, never enlarged. The JPEG is written under a
    temporary name and renamed into place, so a failed write leaves no file under the returned name."""
    _checked_image(file, field, status=422)
    try:
        with Image.open(file.stream) as image:
            image.draft("RGB", (max_side, max_side))  # big JPEGs decode at a fraction of their size
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            pixels = _on_white(upright)
    except _UNREADABLE:  # truncated or corrupt data shows only when the pixels are decoded
        raise _unreadable(field, 422) from None
    clean = Image.frombytes("RGB", pixels.size, pixels.tobytes())  # no info, no exif: pixels only
    name = f"{secrets.token_hex(16)}.jpg"
    final = _folder() / name
    partial = final.with_name(f".{name}.part")
    try:
        clean.save(partial, "JPEG", quality=85, optimize=True)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return name


def _on_white(image: Image.Image) -> Image.Image:
    if not image.has_transparency_data:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, "white")
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def discard(filenames: list[str]) -> None:
    """Remove files just stored for a unit of work that was refused before any row referenced them."""
    for filename in filenames:
        (_folder() / filename).unlink(missing_ok=True)


def delete_after_commit(filename: str) -> None:
    """Remove a file once the row that referenced it is really gone."""
    after_commit(lambda: (_folder() / filename).unlink(missing_ok=True))


@bp.route("/uploads/<path:filename>")
def serve(filename: str):
    return send_from_directory(_folder(), filename, max_age=31536000)
