"""Robustness of :func:`glutesense.read` against malformed input (issue 2, item 2).

The contract: whatever bytes a file holds, ``read`` either returns a valid
:class:`~glutesense.recording.Recording` (finite samples, ``fs >= 5 Hz``, at
least 2 samples) or raises a :class:`~glutesense.errors.GlutesenseError`.
Nothing else may escape: no ``TypeError`` from a parser, no ``MemoryError``
from a zip bomb, no ten-minute stall on one enormous line.

Two layers:

* hypothesis property tests on arbitrary bytes, CSV-like text lines and zip
  archives (the generators lean towards the signatures the readers sniff for);
* a deterministic mutation corpus of ≥ 1,000 inputs derived from one valid
  seed per registered format (``builders.corpus``).
"""

from __future__ import annotations

import collections
import io
import json
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import glutesense
import glutesense.io as gio
from glutesense.errors import GlutesenseError, InputTooLargeError
from glutesense.recording import Recording

from builders.corpus import MIN_CORPUS, build_corpus, crafted_zip, seed_sets, zip_bomb_bytes

pytestmark = [
    # Readers may warn (numpy overflow on absurd values, libraries' own warnings); the
    # contract under test is about what is raised and returned, not about warnings.
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

#: One read of one small input must never take longer than this (seconds).
MAX_SECONDS_PER_INPUT = 10.0


def outcome(path: Path) -> str:
    """Read *path*; return ``"recording"`` or the GlutesenseError's class name.

    Anything else that escapes (or an invalid Recording) fails the caller's test.
    """
    try:
        rec = glutesense.read(path)
    except GlutesenseError as exc:
        assert exc.one_line(), "a GlutesenseError needs a message"
        assert "\n" not in exc.one_line()
        return type(exc).__name__
    check_valid(rec)
    return "recording"


def check_valid(rec: Recording) -> None:
    """The promises a Recording returned by ``read`` keeps."""
    assert isinstance(rec, Recording)
    assert rec.n_samples >= 2, rec
    assert rec.fs >= 5.0, rec
    assert np.isfinite(rec.fs)
    assert np.all(np.isfinite(rec.data)), "read() returned NaN/inf samples"
    assert not rec.data.flags.writeable
    assert len(rec.ch_names) == rec.n_channels
    assert rec.meta.get("format"), "meta['format'] must name the reader"
    for name, stream in rec.streams.items():
        assert isinstance(stream, Recording), name
        assert stream.n_samples >= 2 and stream.fs > 0, (name, stream)
        assert np.all(np.isfinite(stream.data)), f"stream {name!r} has NaN/inf samples"
    json.dumps(rec.to_dict(), allow_nan=False)  # `info --json` must be able to print it


def _read_any(path: Path) -> str:
    try:
        return outcome(path)
    except AssertionError:
        raise
    except BaseException as exc:  # noqa: BLE001 - the point: report what escaped
        pytest.fail(f"{type(exc).__name__} escaped read() for {path.name}: {exc}"[:500])


# ----------------------------------------------------------------------------- hypothesis
_EXTS = [".csv", ".txt", ".npz", ".parquet", ".zip", ".json", ".cwa", ".edf", ".bin", ".xdf",
         ".gt3x", ".hea", ".sqlite", ".xlsx", ""]

_HEADERS = [
    "time_s,acc_x_ms2,acc_y_ms2,acc_z_ms2", "time_s,emg_mv", '"Time (s)","Acceleration x (m/s^2)",'
    '"Acceleration y (m/s^2)","Acceleration z (m/s^2)"', "time,seconds_elapsed,z,y,x",
    "time,gFx,gFy,gFz,TgF", "time,ax,ay,az,aT", "timestamp,AccX,AccY,AccZ", "relative_time,AccX",
    "# OpenSignals Text File Format", "# EndOfHeader",
    "------------ Data File Created By ActiGraph GT3X+ ActiLife v6.13.3 Firmware v2.5.0 "
    "date format M/d/yyyy at 30 Hz  Filter Normal -----------",
    "Timestamp,Accelerometer X,Accelerometer Y,Accelerometer Z", "x,y,z", "Millis,Sensor,X,Y,Z",
    "t,x,y,z", "", "0       ", "XDF:",
]

_number = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32).map(repr),
    st.integers(-10**20, 10**20).map(str),
    st.sampled_from(["nan", "NaN", "inf", "-inf", "", " ", "1e999", "1,5", "0.0.1", "abc", '"1"',
                     "9.81", "0", "-0", "1e-320"]),
)
_row = st.lists(_number, min_size=0, max_size=7).flatmap(
    lambda cells: st.sampled_from([",", ";", "\t", " "]).map(lambda sep: sep.join(cells)))
_lines = st.tuples(st.sampled_from(_HEADERS), st.lists(_row, max_size=40)).map(
    lambda hr: [hr[0], *hr[1]])

_member_names = st.sampled_from([
    "header.npy", "data.npy", "meta/time.csv", "meta/device.csv", "Accelerometer.csv",
    "Metadata.csv", "Raw Data.csv", "log.bin", "info.txt", "data.csv", "a/b/c.txt", "x.json",
])


def _member_content() -> st.SearchStrategy[bytes]:
    npy = st.sampled_from([b'{"schema": "glutesense.recording/1"}', b"[1, 2]", b"null"]).map(
        lambda s: _npy_bytes(np.array(s.decode())))
    arr = st.lists(st.floats(width=32), min_size=0, max_size=12).map(
        lambda v: _npy_bytes(np.array(v, dtype=float).reshape(1, -1)))
    text = _lines.map(lambda ls: ("\n".join(ls) + "\n").encode())
    return st.one_of(st.binary(max_size=300), text, npy, arr)


def _npy_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def _zip(members: list[tuple[str, bytes]], stored: bool) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


_SETTINGS = settings(max_examples=80, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow, HealthCheck.data_too_large])


@_SETTINGS
@given(data=st.binary(max_size=4096), ext=st.sampled_from(_EXTS))
def test_arbitrary_bytes(tmp_path, data, ext):
    path = tmp_path / f"input{ext}"
    path.write_bytes(data)
    _read_any(path)


@_SETTINGS
@given(magic=st.sampled_from([b"", b"PK\x03\x04", b"PAR1", b"MD", b"XDF:", b"0       ",
                              b"\xffBIOSEMI", b"SQLite format 3\x00", b"\x93NUMPY"]),
       data=st.binary(max_size=2048), ext=st.sampled_from(_EXTS))
def test_arbitrary_bytes_behind_magic(tmp_path, magic, data, ext):
    path = tmp_path / f"input{ext}"
    path.write_bytes(magic + data)
    _read_any(path)


@_SETTINGS
@given(lines=_lines, eol=st.sampled_from(["\n", "\r\n", "\r"]), ext=st.sampled_from(_EXTS),
       bom=st.booleans())
def test_arbitrary_text_lines(tmp_path, lines, eol, ext, bom):
    path = tmp_path / f"input{ext}"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + eol.join(lines).encode("utf-8"))
    _read_any(path)


@_SETTINGS
@given(members=st.lists(st.tuples(_member_names, _member_content()), max_size=5),
       stored=st.booleans(), ext=st.sampled_from([".zip", ".npz", ".gt3x", ".csv", ""]))
def test_arbitrary_zip_archives(tmp_path, members, stored, ext):
    path = tmp_path / f"input{ext}"
    path.write_bytes(_zip(members, stored))
    _read_any(path)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=60),
       fs=st.one_of(st.floats(min_value=-10, max_value=1e6),
                    st.sampled_from([float("nan"), float("inf"), 0.0, 4.99, 5.0])))
def test_arbitrary_npz_contents(tmp_path, values, fs):
    """Valid NPZ structure with arbitrary numbers in header and data."""
    n = len(values) // 3
    header = {"schema": "glutesense.recording/1", "fs": fs if np.isfinite(fs) else None,
              "t0": 0.0, "ch_names": ["acc_x", "acc_y", "acc_z"], "ch_types": ["acc"] * 3,
              "ch_units": ["m/s^2"] * 3, "start": None, "meta": {}, "annotations": []}
    path = tmp_path / "input.npz"
    with open(path, "wb") as f:
        np.savez(f, header=np.array(json.dumps(header)),
                 data=np.array(values[: 3 * n], dtype=float).reshape(3, n))
    _read_any(path)


# ----------------------------------------------------------------------------- corpus
def _readable_formats() -> list[str]:
    return [s.name for s in gio.formats() if s.reader is not None]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Seeds, the ≥ 1,000 mutated inputs, and every input's outcome (read once)."""
    from conftest import REFERENCE

    root = tmp_path_factory.mktemp("corpus")
    seeds, log = seed_sets(root / "seeds", REFERENCE if REFERENCE.is_dir() else None)
    cases = build_corpus(root / "cases", seeds)
    results: dict[str, list[tuple[str, str, float, str]]] = collections.defaultdict(list)
    for case in cases:
        t = time.perf_counter()
        problem = ""
        try:
            result = outcome(case.path)
        except AssertionError as exc:
            result, problem = "INVALID", f"invalid Recording: {exc}"
        except BaseException as exc:  # noqa: BLE001 - collected and reported per format
            result, problem = "ESCAPED", f"{type(exc).__name__}: {exc}"
        results[case.format].append((case.mutation, result, time.perf_counter() - t, problem))
    return seeds, log, cases, results


def test_every_seed_is_valid(corpus):
    seeds, log, _, _ = corpus
    for fmt, seed in seeds.items():
        assert gio.detect(seed.primary).name == fmt, seed
        try:
            check_valid(glutesense.read(seed.primary))
        except GlutesenseError as exc:  # pragma: no cover - reported precisely below
            pytest.fail(f"seed for {fmt} ({seed.origin}) does not read: {exc}")


def test_own_formats_have_seeds(corpus):
    """glutesense's own formats must always be in the corpus (their writers are ours)."""
    seeds = corpus[0]
    for fmt in ("canonical-csv", "canonical-emg-csv", "npz", "parquet"):
        assert fmt in seeds and seeds[fmt].origin == "writer"


def test_corpus_size_and_summary(corpus, capsys):
    """≥ 1,000 inputs in total; the per-format outcome table goes to the terminal."""
    seeds, log, cases, results = corpus
    with capsys.disabled():
        print(f"\nfuzz corpus: {len(cases)} inputs from {len(seeds)} seeded formats")
        for fmt in sorted(results):
            c = collections.Counter(r for _, r, _, _ in results[fmt])
            origin = seeds[fmt].origin if fmt in seeds else "format-free inputs"
            print(f"  {fmt:22s} {sum(c.values()):4d} inputs  {origin:45s} "
                  + ", ".join(f"{k}={v}" for k, v in sorted(c.items())))
        for line in log:
            print(f"  note: {line}")
    assert len(cases) >= MIN_CORPUS


@pytest.mark.parametrize("fmt", ["(none)", *_readable_formats()])
def test_mutation_corpus(corpus, fmt):
    """Every mutated input of *fmt* yields a valid Recording or a GlutesenseError, in time;
    a zip bomb never yields a Recording."""
    seeds, log, _, results = corpus
    if fmt != "(none)" and fmt not in seeds:
        pytest.skip(f"no seed file for {fmt!r} (no writer, builder or reference file): "
                    + "; ".join(n for n in log if fmt in n))
    rows = results[fmt]
    assert rows
    broken = [f"{m}: {p}"[:300] for m, r, _, p in rows if r in ("ESCAPED", "INVALID")]
    slow = [f"{m}: {t:.1f} s" for m, _, t, _ in rows if t > MAX_SECONDS_PER_INPUT]
    bombs = [m for m, r, _, _ in rows if m.startswith("zip-bomb") and r == "recording"]
    assert not broken, f"{len(broken)} of {len(rows)} inputs broke the contract:\n" + "\n".join(broken[:40])
    assert not slow, "inputs that took too long:\n" + "\n".join(slow)
    assert not bombs, "zip bombs read as recordings:\n" + "\n".join(bombs)


# ----------------------------------------------------------------------------- targeted
def test_zip_bomb_declares_several_gb_and_is_refused(tmp_path):
    raw = zip_bomb_bytes(["header.npy", "data.npy"])
    assert len(raw) < 2_000_000
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        assert sum(i.file_size for i in z.infolist()) > 4 * 1024**3
    path = tmp_path / "bomb.npz"
    path.write_bytes(raw)
    with pytest.raises(InputTooLargeError, match="bomb|GiB|expands"):
        glutesense.read(path)


def test_crafted_zip_is_readable_by_zipfile():
    payload = b"hello, world\n"
    import zlib

    raw = crafted_zip([("a.txt", payload, 0, zlib.crc32(payload), len(payload))])
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        assert z.read("a.txt") == payload


def test_enormous_line_is_refused_quickly(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_bytes(b"time_s,acc_x_ms2,acc_y_ms2,acc_z_ms2\n" + b"0.1," * 400_000)
    t = time.perf_counter()
    with pytest.raises(InputTooLargeError, match="line"):
        glutesense.read(path)
    assert time.perf_counter() - t < 5.0


def test_ragged_row_is_an_error_not_an_index(tmp_path):
    """A row with surplus fields must not silently become a pandas index (it once took 40 s)."""
    path = tmp_path / "ragged.csv"
    rows = "".join(f"{i / 50:.2f},0,0,9.81\n" for i in range(50))
    path.write_text("time_s,acc_x_ms2,acc_y_ms2,acc_z_ms2\n" + rows + "1.0,1,2,3,4,5\n")
    with pytest.raises(GlutesenseError):
        glutesense.read(path)


def test_encrypted_zip_member_is_a_format_error(tmp_path):
    """Bit 0 of the flags marks an encrypted member; zipfile then raises RuntimeError."""
    from glutesense.io import write

    from builders.corpus import canonical_recording

    path = tmp_path / "enc.npz"
    write(canonical_recording(), path)
    raw = bytearray(path.read_bytes())
    # set the "encrypted" flag in every local and central header
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = raw.find(sig)
        while i >= 0:
            raw[i + off] |= 1
            i = raw.find(sig, i + 4)
    path.write_bytes(bytes(raw))
    with pytest.raises(GlutesenseError, match="encrypted"):
        glutesense.read(path)


# ----------------------------------------------------------------------------- detect()
def _detect_any(path) -> None:
    try:
        gio.detect(path)
    except GlutesenseError as exc:
        assert exc.one_line()
    except BaseException as exc:  # noqa: BLE001
        pytest.fail(f"detect() let {type(exc).__name__} escape: {exc}"[:300])


@_SETTINGS
@given(data=st.binary(max_size=3000), magic=st.sampled_from(
    [b"", b"PK\x03\x04", b"PAR1", b"MD", b"XDF:", b"0       ", b"SQLite format 3\x00", b"GSWR1\n"]),
    ext=st.sampled_from(_EXTS))
def test_detect_never_raises_anything_else(tmp_path, data, magic, ext):
    path = tmp_path / f"input{ext}"
    path.write_bytes(magic + data)
    _detect_any(path)


@pytest.mark.parametrize("kind", ["missing", "directory", "nul-in-name", "name-too-long",
                                  "unreadable", "not-a-path", "empty", "dangling-symlink"])
def test_detect_and_read_on_odd_paths(tmp_path, kind):
    import os

    path: object
    if kind == "missing":
        path = tmp_path / "nope.csv"
    elif kind == "directory":
        path = tmp_path
    elif kind == "nul-in-name":
        path = str(tmp_path / "a\x00b.csv")
    elif kind == "name-too-long":
        path = tmp_path / ("x" * 5000 + ".csv")
    elif kind == "unreadable":
        path = tmp_path / "secret.csv"
        path.write_text("time_s,acc_x_ms2,acc_y_ms2,acc_z_ms2\n0,0,0,9.8\n")
        path.chmod(0)
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read mode-0 files (root)")
    elif kind == "not-a-path":
        path = 12345
    elif kind == "empty":
        path = tmp_path / "empty.csv"
        path.write_bytes(b"")
    else:
        path = tmp_path / "dangling.csv"
        path.symlink_to(tmp_path / "gone.csv")
    _detect_any(path)
    with pytest.raises(GlutesenseError):
        glutesense.read(path)


@pytest.mark.parametrize("names", [
    ["[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"],  # phyphox xlsx
    ["log.bin", "info.txt"],  # ActiGraph GT3X
    ["meta/time.csv", "Raw Data.csv"],  # phyphox zip
    ["Accelerometer.csv", "Metadata.csv"],  # Sensor Logger zip
])
def test_detect_refuses_zip_bombs_before_sniffing(tmp_path, names):
    """No sniffer gets to inflate a bomb's members just to look at them."""
    path = tmp_path / "bomb.zip"
    path.write_bytes(zip_bomb_bytes(names))
    t = time.perf_counter()
    with pytest.raises(InputTooLargeError):
        gio.detect(path)
    assert time.perf_counter() - t < 1.0
