"""What a screenshot shows and how a page printed, read with Pillow and pypdf.

The browser tests judge a screenshot by a few numbers (how many colours, how
much ink, how much contrast) and a printed page by its pages' sizes; both
readers refuse what is not a PNG or a PDF rather than return nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageStat
from pypdf import PdfReader


@dataclass(frozen=True)
class Picture:
    """A decoded screenshot, as RGB (screenshots are opaque)."""

    image: Image.Image

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.image.size

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        """The RGB colour at (x, y)."""
        red, green, blue = self.image.getpixel((x, y))  # type: ignore[misc]
        return (red, green, blue)

    def distinct_colours(self, limit: int = 64) -> int:
        """How many different pixels there are (counting stops at ``limit``)."""
        colours = self.image.getcolors(limit)
        return limit if colours is None else len(colours)

    def ink(self) -> float:
        """Share of pixels that differ from the top-left one (the background)."""
        background = Image.new("RGB", self.image.size, self.image.getpixel((0, 0)))
        # The largest difference over the three channels: 0 only where equal.
        red, green, blue = ImageChops.difference(self.image, background).split()
        differs = ImageChops.lighter(ImageChops.lighter(red, green), blue)
        width, height = self.image.size
        return 1 - differs.histogram()[0] / (width * height)

    def luminance_variance(self) -> float:
        """Variance of the grey level over all pixels (0 for a blank image)."""
        # The red channel alone: enough to tell text from a blank page.
        variance: float = ImageStat.Stat(self.image).var[0]
        return variance


def read_png(data: bytes) -> Picture:
    """Decode a PNG (what a browser screenshot is); anything else raises."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("not a PNG")
    with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
        return Picture(image.convert("RGB"))


def pdf_page_sizes(data: bytes) -> list[tuple[float, float]]:
    """(width, height) in points of every page of a PDF, in order."""
    if not data.startswith(b"%PDF-"):
        raise ValueError("not a PDF")
    reader = PdfReader(io.BytesIO(data), strict=True)
    sizes = []
    for page in reader.pages:
        box = page.mediabox
        if (float(box.left), float(box.bottom)) != (0, 0):
            raise ValueError(f"a page's MediaBox does not start at 0 0: {box}")
        sizes.append((float(box.width), float(box.height)))
    return sizes
