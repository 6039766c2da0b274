"""What the web channel accepts as an attachment: a few file types, checked by their
content (an image must open as the image it claims to be), up to a size."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

# Declared type -> the format Pillow must find, or None for a PDF.
ALLOWED = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
    "application/pdf": None,
}
# Images are decoded to check them: one claiming more pixels than this is refused.
MAX_PIXELS = 40_000_000


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


@dataclass(frozen=True, slots=True)
class Checked:
    kind: str  # the dialogue's media kind: photo or document
    content_type: str


def check(content_type: str, content: bytes) -> Checked:
    declared = content_type.split(";")[0].strip().lower()
    if declared not in ALLOWED:
        allowed = ", ".join(ALLOWED)
        raise Refused(
            415,
            "unsupported_media_type",
            f"files of type {declared!r} are not accepted; send {allowed}",
        )
    expected = ALLOWED[declared]
    if expected is None:
        if not content.startswith(b"%PDF-"):
            raise Refused(415, "not_a_pdf", "the file is not a PDF document")
        return Checked("document", declared)
    try:
        with Image.open(io.BytesIO(content)) as image:
            found = image.format
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise Refused(413, "image_too_large", "the image has too many pixels")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise Refused(415, "not_an_image", f"the file is not a valid {declared} image") from None
    if found != expected:
        raise Refused(415, "not_an_image", f"the file is not a {declared} image")
    return Checked("photo", declared)
