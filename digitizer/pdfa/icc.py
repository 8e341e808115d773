"""A small sRGB ICC profile for the PDF/A output intent, built in code.

PDF/A-1 is based on PDF 1.4, which knows ICC profiles up to version 2 only; the sRGB
profiles that LittleCMS (and so Pillow's ``ImageCms``) creates are version 4, and the usual
version 2 files come with unclear licences.  A matrix/TRC display profile is a few hundred
bytes of well-known numbers, so we write it ourselves: version 2.1, sRGB primaries adapted
to D50 (Bradford), and the sRGB tone curve as a 1024-entry table.  The result is
deterministic, so every document carries byte-identical profile data.
"""

from __future__ import annotations

import functools
import struct

__all__ = ["SRGB_DESCRIPTION", "srgb_icc_profile"]

SRGB_DESCRIPTION = "sRGB IEC61966-2.1"
"""Description tag text, also used as the output intent's condition identifier."""

_PROFILE_VERSION = 0x02100000  # 2.1.0
_D50 = (0.9642, 1.0, 0.8249)
# Media white point: D65, as in the classic version 2 sRGB profiles.
_D65 = (0.9505, 1.0, 1.0890)
# sRGB colorants adapted to D50 (Bradford); each column sums to the D50 white point.
_RED = (0.4361, 0.2225, 0.0139)
_GREEN = (0.3851, 0.7169, 0.0971)
_BLUE = (0.1431, 0.0606, 0.7141)
_TRC_POINTS = 1024


def _s15f16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(xyz: tuple[float, float, float]) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15f16(v) for v in xyz)


def _text_tag(text: str) -> bytes:
    return b"text\0\0\0\0" + text.encode("ascii") + b"\0"


def _desc_tag(text: str) -> bytes:
    """textDescriptionType (ICC v2): ASCII part, empty Unicode part, empty ScriptCode part."""
    ascii_part = text.encode("ascii") + b"\0"
    return (
        b"desc\0\0\0\0"
        + struct.pack(">I", len(ascii_part))
        + ascii_part
        + struct.pack(">II", 0, 0)  # Unicode language code, count
        + struct.pack(">HB", 0, 0)  # ScriptCode code, count
        + b"\0" * 67
    )


def _srgb_to_linear(v: float) -> float:
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def _curve_tag() -> bytes:
    n = _TRC_POINTS
    values = [round(_srgb_to_linear(i / (n - 1)) * 65535) for i in range(n)]
    return b"curv\0\0\0\0" + struct.pack(f">I{n}H", n, *values)


def _pad4(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


@functools.cache
def srgb_icc_profile() -> bytes:
    """Return the bytes of an ICC v2.1 sRGB display profile (cached per process)."""
    curve = _curve_tag()
    # (signature, data); the three TRC tags share one data block, as ICC allows.
    tags: list[tuple[bytes, bytes]] = [
        (b"desc", _desc_tag(SRGB_DESCRIPTION)),
        (b"cprt", _text_tag("No copyright, use freely")),
        (b"wtpt", _xyz_tag(_D65)),
        (b"rXYZ", _xyz_tag(_RED)),
        (b"gXYZ", _xyz_tag(_GREEN)),
        (b"bXYZ", _xyz_tag(_BLUE)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    entries: list[bytes] = []
    blocks: list[bytes] = []
    placed: dict[bytes, int] = {}
    for signature, data in tags:
        if data not in placed:
            placed[data] = offset
            padded = _pad4(data)
            blocks.append(padded)
            offset += len(padded)
        entries.append(struct.pack(">4sII", signature, placed[data], len(data)))
    size = offset
    header = (
        struct.pack(">I", size)
        + b"\0\0\0\0"  # preferred CMM: none
        + struct.pack(">I", _PROFILE_VERSION)
        + b"mntrRGB XYZ "
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)  # fixed creation date: deterministic bytes
        + b"acsp"
        + b"\0" * 4  # primary platform
        + b"\0" * 4  # flags
        + b"\0" * 8  # device manufacturer, model
        + b"\0" * 8  # device attributes
        + struct.pack(">I", 0)  # rendering intent: perceptual
        + b"".join(_s15f16(v) for v in _D50)
        + b"\0" * 4  # creator
        + b"\0" * 16  # profile ID (version 4 only)
        + b"\0" * 28
    )
    assert len(header) == 128
    table = struct.pack(">I", len(tags)) + b"".join(entries)
    return header + table + b"".join(blocks)
