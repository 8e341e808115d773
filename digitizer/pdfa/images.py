"""Encode a page raster once, into bytes a PDF image XObject can carry as they are.

Colour and grey pages become JPEG (``DCTDecode``): Pillow encodes them once and the PDF
stores the JPEG file as is, with no second encode. Black-and-white pages must stay
lossless: CCITT Group 4 when Pillow has libtiff (a few tens of kB for an A4 page,
against a few hundred for Flate), else Flate. PDF/A forbids transparency, so an alpha
channel is flattened onto white.
"""

from __future__ import annotations

import io
import logging
import zlib
from dataclasses import dataclass, field

from PIL import Image, features

__all__ = ["EncodedImage", "encode_image"]

log = logging.getLogger(__name__)

_TIFF_PHOTOMETRIC = 262
_TIFF_STRIP_OFFSETS = 273
_TIFF_ROWS_PER_STRIP = 278
_TIFF_STRIP_BYTE_COUNTS = 279


@dataclass(frozen=True, slots=True)
class EncodedImage:
    """Encoded image bytes plus the PDF image dictionary entries that describe them."""

    data: bytes
    width: int
    height: int
    color_space: str  # "/DeviceRGB" or "/DeviceGray"
    bits_per_component: int
    filter: str  # "/DCTDecode", "/CCITTFaxDecode" or "/FlateDecode"
    decode_parms: dict[str, int | bool] = field(default_factory=dict)


def _flatten(image: Image.Image) -> Image.Image:
    """Bring any Pillow mode to "RGB", "L" or "1", flattening transparency onto white."""
    if image.mode in ("RGB", "L", "1"):
        return image
    log.debug("converting page image from mode %s", image.mode)
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        target = "L" if image.mode.startswith("L") else "RGB"
        background = Image.new(target, image.size, 255 if target == "L" else (255, 255, 255))
        alpha = image.getchannel("A")
        background.paste(image.convert("RGBA" if target == "RGB" else "LA"), mask=alpha)
        return background
    if image.mode in ("I", "I;16", "F"):
        return image.convert("L")
    return image.convert("RGB")


def _encode_jpeg(image: Image.Image, quality: int) -> EncodedImage:
    buf = io.BytesIO()
    # No optimize/progressive: each costs a second pass for a few percent of size.
    image.save(buf, format="JPEG", quality=quality)
    return EncodedImage(
        data=buf.getvalue(),
        width=image.width,
        height=image.height,
        color_space="/DeviceRGB" if image.mode == "RGB" else "/DeviceGray",
        bits_per_component=8,
        filter="/DCTDecode",
    )


def _encode_g4(image: Image.Image) -> EncodedImage:
    """CCITT G4 via Pillow's libtiff encoder: one strip, whose bytes are the G4 stream.

    Each TIFF strip is coded on its own, so the image must be a single strip for its
    bytes to form one CCITT stream.  Which bit value the coder took as "white" depends on
    the TIFF photometric interpretation Pillow chose; ``BlackIs1`` follows it.
    """
    buf = io.BytesIO()
    image.save(
        buf,
        format="TIFF",
        compression="group4",
        tiffinfo={_TIFF_ROWS_PER_STRIP: image.height},
    )
    buf.seek(0)
    with Image.open(buf) as tiff:
        tags = tiff.tag_v2  # type: ignore[attr-defined]
        offsets = tags[_TIFF_STRIP_OFFSETS]
        counts = tags[_TIFF_STRIP_BYTE_COUNTS]
        photometric = tags[_TIFF_PHOTOMETRIC]
    offsets = offsets if isinstance(offsets, tuple) else (offsets,)
    counts = counts if isinstance(counts, tuple) else (counts,)
    if len(offsets) != 1:
        raise ValueError(f"libtiff wrote {len(offsets)} strips, expected one")
    raw = buf.getbuffer()[offsets[0] : offsets[0] + counts[0]].tobytes()
    parms: dict[str, int | bool] = {"/K": -1, "/Columns": image.width, "/Rows": image.height}
    if photometric == 1:  # BlackIsZero: the coder's "black" runs are our white pixels
        parms["/BlackIs1"] = True
    return EncodedImage(
        data=raw,
        width=image.width,
        height=image.height,
        color_space="/DeviceGray",
        bits_per_component=1,
        filter="/CCITTFaxDecode",
        decode_parms=parms,
    )


def _encode_flate_bilevel(image: Image.Image) -> EncodedImage:
    # Pillow packs mode "1" rows MSB first, 0 = black: exactly PDF's 1-bit DeviceGray.
    return EncodedImage(
        data=zlib.compress(image.tobytes(), 6),
        width=image.width,
        height=image.height,
        color_space="/DeviceGray",
        bits_per_component=1,
        filter="/FlateDecode",
    )


def encode_image(image: Image.Image, *, jpeg_quality: int, allow_g4: bool = True) -> EncodedImage:
    """Encode ``image`` for a PDF/A page: JPEG for colour/grey, lossless for bilevel."""
    image = _flatten(image)
    if image.mode != "1":
        return _encode_jpeg(image, jpeg_quality)
    if allow_g4 and features.check("libtiff"):
        try:
            return _encode_g4(image)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("CCITT G4 encoding failed (%s); storing the page with Flate", exc)
    return _encode_flate_bilevel(image)
