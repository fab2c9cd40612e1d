"""Uploads on disk: streamed with a size cap, fsynced and renamed before they are acknowledged."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

__all__ = ["UploadTooLarge", "save_stream", "safe_suffix"]


class UploadTooLarge(Exception):
    """The upload exceeded the configured cap."""


def safe_suffix(filename: str) -> str:
    """A short, harmless extension from a client-supplied file name (or '')."""
    name = Path(filename or "").name.lower()
    for compound in (".csv.gz", ".cwa.gz"):
        if name.endswith(compound):
            return compound
    suffix = Path(name).suffix
    return suffix if suffix[1:].isalnum() and len(suffix) <= 8 else ""


async def save_stream(chunks: AsyncIterator[bytes], folder: Path, *, max_bytes: int,
                      suffix: str = "") -> tuple[Path, str, int]:
    """Write *chunks* to ``folder/<sha256><suffix>``; return (path, sha256, size).

    The bytes go to a temporary file in *folder*, are fsynced, and the file is
    renamed to its content address (the folder is fsynced too), so an
    acknowledged upload survives a crash and a failed one leaves nothing behind.
    Raises :class:`UploadTooLarge` as soon as more than *max_bytes* arrive.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=folder)
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as f:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLarge(f"upload larger than {max_bytes} bytes")
                digest.update(chunk)
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        sha = digest.hexdigest()
        final = folder / f"{sha}{suffix}"
        os.replace(tmp, final)
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        return final, sha, size
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
