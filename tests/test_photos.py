"""Member photos: real images only, stored upright, resized and stripped of every piece of metadata."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin
from werkzeug.datastructures import FileStorage

from core.errors import DomainError
from core.uploads import save_photo


@pytest.fixture
def new_uploads(app):
    """The files stored under UPLOAD_FOLDER since the test began (the folder lives for the whole run)."""
    folder = Path(app.config["UPLOAD_FOLDER"])
    before = set(folder.iterdir()) if folder.exists() else set()
    return lambda: sorted(set(folder.iterdir()) - before) if folder.exists() else []


def upload(data: bytes, filename: str = "photo.jpg") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def stored(app, name: str) -> Image.Image:
    image = Image.open(Path(app.config["UPLOAD_FOLDER"]) / name)
    image.load()
    return image


def test_a_phone_photo_is_turned_upright_and_loses_its_exif_and_gps(app, new_uploads):
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned, the picture must be rotated 90° to show upright
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update({1: "N", 2: (22.0, 16.0, 42.0), 3: "E", 4: (114.0, 10.0, 9.0)})
    picture = Image.new("RGB", (300, 200), "red")
    picture.paste((0, 0, 255), (0, 0, 150, 200))  # the left half blue: it must end up on top
    original = encoded(picture, "JPEG", exif=exif.tobytes(), quality=95)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the test photo really carries GPS

    name = save_photo(upload(original))

    photo = stored(app, name)
    assert photo.format == "JPEG" and name.endswith(".jpg")
    assert dict(photo.getexif()) == {} and "exif" not in photo.info
    assert b"PhoneMaker" not in (Path(app.config["UPLOAD_FOLDER"]) / name).read_bytes()
    assert photo.size == (200, 300)
    top, bottom = photo.getpixel((100, 20)), photo.getpixel((100, 280))
    assert top[2] > 200 and top[0] < 60  # blue
    assert bottom[0] > 200 and bottom[2] < 60  # red
    assert new_uploads() == [Path(app.config["UPLOAD_FOLDER"]) / name]


def test_a_big_photo_is_brought_down_to_1600_on_its_longer_side(app):
    name = save_photo(upload(encoded(Image.new("RGB", (4000, 3000), "green"), "JPEG")))

    assert stored(app, name).size == (1600, 1200)


def test_the_longer_side_can_be_set_and_a_tall_photo_keeps_its_shape(app):
    name = save_photo(upload(encoded(Image.new("RGB", (500, 1000), "green"), "PNG"), "tall.png"), max_side=400)

    assert stored(app, name).size == (200, 400)


def test_a_small_photo_is_not_enlarged(app):
    name = save_photo(upload(encoded(Image.new("RGB", (120, 80), "green"), "JPEG")))

    assert stored(app, name).size == (120, 80)


def test_a_transparent_png_is_laid_on_white_and_loses_its_text(app):
    picture = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    picture.paste((0, 128, 0, 255), (20, 0, 40, 20))
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "taken at 12 Lotus Court")
    text.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret</x:xmpmeta>")
    original = encoded(picture, "PNG", pnginfo=text)
    assert Image.open(io.BytesIO(original)).text["Comment"]

    name = save_photo(upload(original, "sticker.png"))

    photo = stored(app, name)
    data = (Path(app.config["UPLOAD_FOLDER"]) / name).read_bytes()
    assert photo.format == "JPEG" and photo.mode == "RGB"
    assert b"Lotus Court" not in data and b"xmpmeta" not in data
    assert "Comment" not in photo.info and "exif" not in photo.info
    assert min(photo.getpixel((5, 10))) > 240  # transparent → white
    green = photo.getpixel((35, 10))
    assert green[1] > 100 and green[0] < 40 and green[2] < 40


def _bomb_png() -> bytes:
    """A PNG header claiming 100,000 × 100,000 pixels, with barely any data behind it."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def _truncated_jpeg() -> bytes:
    full = encoded(Image.effect_noise((400, 300), 64).convert("RGB"), "JPEG")
    return full[: len(full) // 2]


def _wide_png() -> bytes:
    """Under Pillow's own bomb limit, over ours (MAX_PIXELS): 8,000 × 6,000 declared, cut short."""
    return _bomb_png().replace(struct.pack(">II", 100_000, 100_000), struct.pack(">II", 8_000, 6_000))


REFUSED = {
    "text named .jpg": (b"just some words, not a picture", "photo.jpg"),
    "html": (b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>", "photo.jpg"),
    "svg": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b'<rect width="10" height="10"/></svg>', "photo.svg"),
    "pdf": (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", "photo.jpg"),
    "zero bytes": (b"", "photo.jpg"),
    "truncated jpeg": (_truncated_jpeg(), "photo.jpg"),
    "decompression bomb": (_bomb_png(), "photo.png"),
    "too many pixels": (_wide_png(), "photo.png"),
}


@pytest.mark.parametrize("data, filename", REFUSED.values(), ids=REFUSED.keys())
def test_what_is_not_a_readable_photo_is_refused_and_nothing_is_stored(new_uploads, data, filename):
    with pytest.raises(DomainError) as refused:
        save_photo(upload(data, filename), field="photos")

    assert refused.value.code == "bad_image" and refused.value.status == 422
    assert refused.value.fields == {"photos": [str(refused.value.message)]}
    assert new_uploads() == []


def test_the_truncated_jpeg_really_gets_past_the_quick_check(app):
    """Pillow's verify() barely reads a JPEG: only decoding the pixels finds it cut short."""
    image = Image.open(io.BytesIO(_truncated_jpeg()))
    image.verify()
