"""Write small valid XDF files (the XDF 1.0 chunk format), independent of pyxdf.

Specification: https://github.com/sccn/xdf/wiki/Specifications — the magic
``XDF:``, then chunks ``[NumLengthBytes (1, 4 or 8)][Length][Tag uint16][Content]``
where Length counts the tag and the content; tags FileHeader 1, StreamHeader 2
(``[StreamId uint32][XML]``), Samples 3 (``[StreamId][NumSamples varlen]`` then
per sample ``[TimeStampBytes 0|8][TimeStamp double]`` and the values), ClockOffset 4
(``[StreamId][CollectionTime double][OffsetValue double]``), StreamFooter 6.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

__all__ = ["XdfStream", "write_xdf"]


@dataclass
class XdfStream:
    """One stream to write.

    ``values`` is (n, channels) numbers, or a list of str for a marker stream;
    ``stamps`` are the sender's clock times (s); ``clock_offsets`` are
    ``(collection_time, offset)`` pairs with ``offset = recorder clock - sender clock``.
    """

    name: str
    type: str
    srate: float
    values: np.ndarray | list[str]
    stamps: np.ndarray
    labels: Sequence[str] = ()
    units: Sequence[str] = ()
    fmt: str = "float32"
    clock_offsets: Sequence[tuple[float, float]] = field(default_factory=list)
    chunk: int = 50


def _varlen(n: int) -> bytes:
    if n < 256:
        return b"\x01" + struct.pack("<B", n)
    if n < 2**32:
        return b"\x04" + struct.pack("<I", n)
    return b"\x08" + struct.pack("<Q", n)


def _chunk(tag: int, content: bytes) -> bytes:
    return _varlen(len(content) + 2) + struct.pack("<H", tag) + content


def _header_xml(s: XdfStream, n_ch: int) -> bytes:
    chans = "".join(
        f"<channel><label>{escape(lab)}</label><unit>{escape(unit)}</unit>"
        f"<type>{escape(s.type)}</type></channel>"
        for lab, unit in zip(s.labels, s.units))
    desc = f"<desc><channels>{chans}</channels></desc>" if chans else "<desc/>"
    return (f'<?xml version="1.0"?><info><name>{escape(s.name)}</name><type>{escape(s.type)}'
            f"</type><channel_count>{n_ch}</channel_count><nominal_srate>{s.srate:g}"
            f"</nominal_srate><channel_format>{s.fmt}</channel_format>"
            f"<source_id>{escape(s.name)}-1</source_id><version>1.1</version>"
            f"<created_at>100.0</created_at><uid>{escape(s.name)}-uid</uid>"
            f"{desc}</info>").encode()


def write_xdf(path: Path, streams: Sequence[XdfStream]) -> Path:
    """Write *streams* as an XDF file, interleaving their sample chunks."""
    out = bytearray(b"XDF:")
    out += _chunk(1, b'<?xml version="1.0"?><info><version>1.0</version>'
                     b"<datetime>2024-03-01T10:00:00+0000</datetime></info>")
    for sid, s in enumerate(streams, start=1):
        n_ch = 1 if s.fmt == "string" else np.asarray(s.values).shape[1]
        out += _chunk(2, struct.pack("<I", sid) + _header_xml(s, n_ch))
    pieces: list[tuple[float, bytes]] = []
    for sid, s in enumerate(streams, start=1):
        n = len(s.stamps)
        for i0 in range(0, n, s.chunk):
            body = bytearray(struct.pack("<I", sid))
            idx = range(i0, min(i0 + s.chunk, n))
            body += _varlen(len(idx))
            for k in idx:
                body += b"\x08" + struct.pack("<d", float(s.stamps[k]))
                if s.fmt == "string":
                    raw = str(s.values[k]).encode()
                    body += _varlen(len(raw)) + raw
                else:
                    dtype = {"float32": "<f4", "double64": "<f8", "int16": "<i2"}[s.fmt]
                    body += np.asarray(s.values[k], dtype=dtype).tobytes()
            pieces.append((float(s.stamps[i0]), _chunk(3, bytes(body))))
        for t, off in s.clock_offsets:
            pieces.append((t, _chunk(4, struct.pack("<Idd", sid, t, off))))
    for _, blob in sorted(pieces, key=lambda p: p[0]):
        out += blob
    for sid, s in enumerate(streams, start=1):
        footer = (f'<?xml version="1.0"?><info><first_timestamp>{s.stamps[0]}</first_timestamp>'
                  f"<last_timestamp>{s.stamps[-1]}</last_timestamp>"
                  f"<sample_count>{len(s.stamps)}</sample_count></info>").encode()
        out += _chunk(6, struct.pack("<I", sid) + footer)
    Path(path).write_bytes(bytes(out))
    return Path(path)
