"""Uploaded images: checked to be real images (Pillow), stored under UPLOAD_FOLDER with a random
name, served at /uploads/<filename>."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Blueprint, current_app, send_from_directory
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError
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


def save_image(file: FileStorage, field: str = "image") -> str:
    """Store an uploaded image and return its file name. Raises ``bad_image`` for anything else.

    The file is written now; if the unit of work rolls back, nothing references it (a stray file,
    never a broken record)."""
    try:
        with Image.open(file.stream) as image:
            image.verify()
            fmt = image.format
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise DomainError("bad_image", _l("That file is not an image we can read (JPEG, PNG, WebP or GIF)."),
                          field=field) from None
    if fmt not in ALLOWED_FORMATS or width * height > MAX_PIXELS:
        raise DomainError("bad_image", _l("Use a JPEG, PNG, WebP or GIF image of reasonable size."), field=field)
    name = f"{secrets.token_hex(16)}.{ALLOWED_FORMATS[fmt]}"
    file.stream.seek(0)
    file.save(_folder() / name)
    return name


def delete_after_commit(filename: str) -> None:
    """Remove a file once the row that referenced it is really gone."""
    after_commit(lambda: (_folder() / filename).unlink(missing_ok=True))


@bp.route("/uploads/<path:filename>")
def serve(filename: str):
    return send_from_directory(_folder(), filename, max_age=31536000)
