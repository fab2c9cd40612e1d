"""A deterministic mutation corpus for the readers (issue 2, item 2).

:func:`seed_sets` finds one small, valid seed file (or file set, e.g. WFDB's
``.hea`` + ``.dat``) for every registered format: glutesense's own writers for
the canonical formats, any builder another test module put in
``tests/builders/`` (harvested by calling its public functions defensively and
keeping the files :func:`glutesense.io.detect` recognises), and finally the
third-party reference recordings in ``../shared/reference`` (text files
shortened to a few hundred lines).

:func:`build_corpus` turns each seed into many mutated inputs: truncation at
many offsets, byte flips, byte insertions and deletions, and for text tables
shuffled columns, NaN/inf cells, non-monotonic and duplicated time, header
only, ragged rows, too-low rates; for zip archives missing, garbage, truncated
and mutated members; and for every format an empty file, a single enormous
line, binary garbage and zip bombs carrying the format's extension. Every case
lives in its own folder, so sibling files keep their names.

Nothing here is random at run time: every choice comes from a
``random.Random`` seeded with the format name.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import random
import shutil
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

__all__ = ["Seed", "Case", "seed_sets", "build_corpus", "zip_bomb_bytes", "crafted_zip", "edf_bytes",
           "canonical_recording", "emg_recording", "MIN_CORPUS"]

#: The corpus must hold at least this many inputs in total.
MIN_CORPUS = 1000
#: Seeds larger than this are not used (every mutation re-reads the whole file).
MAX_SEED_BYTES = 400_000


@dataclasses.dataclass(frozen=True)
class Seed:
    """A valid input of one format: a primary file plus siblings, all in one folder."""

    format: str
    primary: Path
    files: tuple[Path, ...]
    origin: str  # "writer", "builder:<module>.<func>", "reference:<relative path>"


@dataclasses.dataclass(frozen=True)
class Case:
    """One corpus input: read ``path`` and expect a Recording or a GlutesenseError."""

    format: str
    mutation: str
    path: Path


# ---------------------------------------------------------------------------- seeds
def canonical_recording(n: int = 60, fs: float = 50.0, *, with_emg: bool = False):
    """A small 3-axis recording at rest with a wiggle (gravity on z)."""
    from glutesense.recording import Annotations, Recording

    t = np.arange(n) / fs
    acc = np.vstack([0.05 * np.sin(2 * np.pi * 3 * t), 0.02 * np.cos(2 * np.pi * 5 * t),
                     9.80665 + 0.1 * np.sin(2 * np.pi * 1.3 * t)])
    ann = Annotations([0.2, 0.5], [0.0, 0.1], ["twitch", "beat"], ["twitch", "pulse"], ["truth"])
    rec = Recording(acc, fs, ("acc_x", "acc_y", "acc_z"), ("acc",) * 3, ("m/s^2",) * 3,
                    annotations=ann, meta={"app": "corpus"})
    if with_emg:
        rec = rec.replace(streams={"emg": emg_recording(int(n / fs * 500), 500.0)})
    return rec


def emg_recording(n: int = 300, fs: float = 500.0):
    """A short single-channel EMG recording in V."""
    from glutesense.recording import Recording

    t = np.arange(n) / fs
    x = 1e-4 * np.sin(2 * np.pi * 80 * t) * np.sin(2 * np.pi * 2 * t)
    return Recording(x[None], fs, ("emg",), ("emg",), ("V",))


def _own_seeds(root: Path) -> dict[str, Seed]:
    from glutesense.io.canonical import write_canonical_csv, write_npz, write_parquet

    seeds: dict[str, Seed] = {}
    d = root / "canonical-csv"
    d.mkdir(parents=True, exist_ok=True)
    write_canonical_csv(canonical_recording(with_emg=True), d / "rec.csv")
    seeds["canonical-csv"] = Seed("canonical-csv", d / "rec.csv",
                                  (d / "rec.csv", d / "rec.emg.csv"), "writer")
    d = root / "canonical-emg-csv"
    d.mkdir(parents=True, exist_ok=True)
    write_canonical_csv(emg_recording(), d / "emg.csv")
    seeds["canonical-emg-csv"] = Seed("canonical-emg-csv", d / "emg.csv", (d / "emg.csv",), "writer")
    for name, writer, fname in (("npz", write_npz, "rec.npz"), ("parquet", write_parquet, "rec.parquet")):
        d = root / name
        d.mkdir(parents=True, exist_ok=True)
        writer(canonical_recording(), d / fname)
        seeds[name] = Seed(name, d / fname, (d / fname,), "writer")
    return seeds


def _detect_name(path: Path) -> str | None:
    from glutesense.errors import GlutesenseError
    from glutesense.io import detect

    try:
        return detect(path).name
    except GlutesenseError:
        return None


def _builder(module: str, name: str) -> Callable | None:
    """``builders.<module>.<name>`` if another test author has added it, else None."""
    try:
        mod = importlib.import_module(f"builders.{module}")
    except Exception:  # noqa: BLE001 - absent or broken: fall back to other seeds
        return None
    return getattr(mod, name, None)


def _recipes() -> dict[str, Callable[[Path], Path]]:
    """Small seed files built with the other test authors' builders (looked up by name)."""
    out: dict[str, Callable[[Path], Path]] = {}
    rng = np.random.default_rng(7)
    n = 240

    def counts(scale: float) -> np.ndarray:
        g = np.vstack([0.02 * rng.standard_normal(n), 0.02 * rng.standard_normal(n),
                       1.0 + 0.02 * rng.standard_normal(n)])
        return np.round(g * scale).astype(np.int64)

    if (cwa := _builder("cwa", "write_cwa")) is not None:
        out["cwa"] = lambda d: cwa(d / "rec.cwa", counts(256), fs=100.0)

        def _cwa_gz(d: Path) -> Path:
            import gzip

            raw = Path(cwa(d / "tmp.cwa", counts(256), fs=100.0)).read_bytes()
            (d / "tmp.cwa").unlink()
            (d / "rec.cwa.gz").write_bytes(gzip.compress(raw, mtime=0))
            return d / "rec.cwa.gz"
        out["cwa-gz"] = _cwa_gz
    if (gt3x := _builder("actigraph", "write_gt3x")) is not None:
        out["gt3x"] = lambda d: gt3x(d / "rec.gt3x", counts(256)[:, :90], fs=30)
    if (acsv := _builder("actigraph", "write_actilife_csv")) is not None:
        out["actilife-csv"] = lambda d: acsv(d / "rec.csv", counts(100)[:, :90] / 100.0, fs=30)
    if (osig := _builder("opensignals", "write_opensignals")) is not None:
        out["opensignals"] = lambda d: osig(
            d / "rec.txt", (512 + 40 * rng.standard_normal((1, 200))).astype(int),
            sensors=["EMG"], fs=1000)
    xdf_write, xdf_stream = _builder("xdf", "write_xdf"), _builder("xdf", "XdfStream")
    if xdf_write is not None and xdf_stream is not None:
        def _xdf(d: Path) -> Path:
            fs = 100.0
            st = xdf_stream(name="acc", type="Accelerometer", srate=fs,
                            values=counts(100)[:, :100].T.astype(float) / 100.0 * 9.80665,
                            stamps=100.0 + np.arange(100) / fs,
                            labels=("x", "y", "z"), units=("m/s^2",) * 3)
            return xdf_write(d / "rec.xdf", [st])
        out["xdf"] = _xdf

    def _webrec(d: Path) -> Path:
        from glutesense.io.webrec import write_webrec

        t = np.cumsum(np.r_[0.0, 0.016 + 0.002 * rng.random(119)])
        write_webrec(t, counts(100)[:, :120] / 100.0 * 9.80665, d / "rec.gswr")
        return d / "rec.gswr"

    def _bdf(d: Path) -> Path:
        import edfio

        sig = edfio.BdfSignal(1e-4 * rng.standard_normal(500), 250.0, label="EMG",
                              physical_dimension="uV", physical_range=(-1e3, 1e3))
        edfio.Bdf([sig]).write(d / "rec.bdf")
        return d / "rec.bdf"

    def _sqlite(d: Path) -> Path:
        import sqlite3

        t = np.arange(100) / 50.0
        ns = (1_700_000_000 + t) * 1e9
        con = sqlite3.connect(d / "rec.sqlite")
        con.execute("CREATE TABLE Accelerometer (time TEXT, seconds_elapsed TEXT, z TEXT, y TEXT, x TEXT)")
        con.executemany("INSERT INTO Accelerometer VALUES (?, ?, ?, ?, ?)",
                        [(str(int(a)), f"{b:.4f}", f"{0.1 * np.sin(b):.5f}", f"{0.02 * np.cos(3 * b):.5f}",
                          f"{0.01 * np.sin(5 * b):.5f}") for a, b in zip(ns, t)])
        con.commit()
        con.close()
        return d / "rec.sqlite"

    def _xlsx(d: Path) -> Path:
        from glutesense.io.phyphox import write_phyphox

        write_phyphox(canonical_recording(n=100), d / "rec.xlsx", variant="xlsx")
        return d / "rec.xlsx"

    out["webrec"], out["bdf"], out["sensorlogger-sqlite"] = _webrec, _bdf, _sqlite
    out["phyphox-xlsx"] = _xlsx
    return out


def _text_seeds() -> dict[str, tuple[str, str]]:
    """Hand-written seeds from formats.md §1.2-1.4 for the simple text formats."""
    t = np.arange(60) / 50.0
    x, y, z = 0.01 * np.sin(7 * t), 0.02 * np.cos(5 * t), 1.0 + 0.01 * np.sin(3 * t)
    ptb = "time,gFx,gFy,gFz,TgF\n" + "".join(
        f"{a:.3f},{b:.4f},{c:.4f},{e:.4f},{np.sqrt(b * b + c * c + e * e):.4f}\n"
        for a, b, c, e in zip(t, x, y, z))
    ms = 1_700_000_000_000 + np.round(t * 1000).astype(np.int64)
    sj = "timestamp,AccX,AccY,AccZ\n" + "".join(
        f"{m},{b * 9.81:.4f},{c * 9.81:.4f},{e * 9.81:.4f}\n" for m, b, c, e in zip(ms, x, y, z))
    ns = ms * 1_000_000
    slj = "[" + ",".join(
        f'{{"sensor":"Accelerometer","time":"{n_}","seconds_elapsed":"{a:.4f}",'
        f'"z":"{e * 0.1:.5f}","y":"{c:.5f}","x":"{b:.5f}"}}'
        for n_, a, b, c, e in zip(ns, t, x, y, z)) + "]"
    return {"physicstoolbox": ("gforce.csv", ptb), "sciencejournal": ("exp trial.csv", sj),
            "sensorlogger-json": ("rec.json", slj)}


def _extra_seeds(root: Path, wanted: set[str], have: dict[str, Seed],
                 log: list[str]) -> dict[str, Seed]:
    """Seeds from registered writers, builders, zip members and hand-written text."""
    from glutesense.io import formats, write

    found: dict[str, Seed] = {}

    def missing() -> set[str]:
        return wanted - set(found) - set(have)

    def accept(fmt_hint: str, folder: Path, primary: Path, origin: str) -> None:
        files = tuple(sorted(p for p in folder.iterdir() if p.is_file()))
        if not primary.is_file() or sum(p.stat().st_size for p in files) > MAX_SEED_BYTES:
            log.append(f"{origin}: no usable file for {fmt_hint}")
            return
        name = _detect_name(primary)
        if name is None:
            log.append(f"{origin}: {primary.name} is not recognised (wanted {fmt_hint})")
        elif name in missing() and _reads_ok(primary):
            found[name] = Seed(name, primary, files, origin)
        elif name != fmt_hint:
            log.append(f"{origin}: detected as {name!r}, wanted {fmt_hint!r}")

    # 1. every registered writer
    for spec in formats():
        if spec.writer is None or not spec.extensions or spec.name not in missing():
            continue
        d = root / f"w_{spec.name}"
        d.mkdir(parents=True, exist_ok=True)
        primary = d / ("rec" + spec.extensions[0])
        try:
            write(canonical_recording(n=100), primary, format=spec.name)
        except Exception as exc:  # noqa: BLE001
            log.append(f"writer {spec.name}: {type(exc).__name__}: {exc}")
            continue
        accept(spec.name, d, primary, f"writer:{spec.name}")
    # 2. builders by name
    for fmt, recipe in _recipes().items():
        if fmt not in missing():
            continue
        d = root / f"b_{fmt}"
        d.mkdir(parents=True, exist_ok=True)
        try:
            primary = Path(recipe(d))
        except Exception as exc:  # noqa: BLE001
            log.append(f"builder for {fmt}: {type(exc).__name__}: {exc}")
            continue
        accept(fmt, d, primary, f"builder:{fmt}")
    # 3. members of zip seeds (phyphox CSV, Sensor Logger CSV) as stand-alone files
    for seed in list(found.values()) + list(have.values()):
        if seed.primary.read_bytes()[:4] != b"PK\x03\x04":
            continue
        try:
            with zipfile.ZipFile(seed.primary) as z:
                members = [(i.filename, z.read(i)) for i in z.infolist() if not i.is_dir()]
        except Exception:  # noqa: BLE001
            continue
        for k, (mname, data) in enumerate(members):
            if not missing():
                break
            d = root / f"m_{seed.format}_{k}"
            d.mkdir(parents=True, exist_ok=True)
            primary = d / Path(mname).name
            primary.write_bytes(data)
            name = _detect_name(primary)
            if name in missing() and _reads_ok(primary):
                found[name] = Seed(name, primary, (primary,), f"member:{seed.format}:{mname}")
            else:
                shutil.rmtree(d, ignore_errors=True)
    # 4. hand-written text
    for fmt, (fname, text) in _text_seeds().items():
        if fmt not in missing():
            continue
        d = root / f"t_{fmt}"
        d.mkdir(parents=True, exist_ok=True)
        (d / fname).write_text(text)
        accept(fmt, d, d / fname, f"text:{fmt}")
    return found


def _reads_ok(path: Path) -> bool:
    from glutesense.errors import GlutesenseError
    from glutesense.io import read

    try:
        read(path)
    except GlutesenseError:
        return False
    except Exception:  # noqa: BLE001 - a seed that crashes a reader is still a seed
        return True
    return True


def _reference_seeds(root: Path, reference: Path | None, wanted: set[str],
                     log: list[str]) -> dict[str, Seed]:
    if reference is None or not reference.is_dir():
        return {}
    found: dict[str, Seed] = {}
    for src in sorted(reference.rglob("*"), key=lambda p: (p.stat().st_size, str(p))):
        if not wanted - set(found):
            break
        if not src.is_file() or src.name.upper().startswith(("README", "UPSTREAM")):
            continue
        d = root / f"ref_{len(found)}_{src.stem}"
        d.mkdir(parents=True, exist_ok=True)
        # Copy the file and its same-stem siblings (WFDB .hea/.dat); shorten text.
        files = []
        for sib in sorted(src.parent.glob(src.stem + ".*")):
            dst = d / sib.name
            raw = sib.read_bytes()
            if sib.suffix.lower() in (".csv", ".txt", ".tsv") and len(raw) > 40_000:
                raw = b"\n".join(raw.splitlines()[:400]) + b"\n"
            if len(raw) > MAX_SEED_BYTES:
                break
            dst.write_bytes(raw)
            files.append(dst)
        else:
            primary = d / src.name
            name = _detect_name(primary)
            if name in wanted and name not in found and _reads_ok(primary):
                found[name] = Seed(name, primary, tuple(files),
                                   f"reference:{src.relative_to(reference)}")
                continue
        shutil.rmtree(d, ignore_errors=True)
    return found


def seed_sets(root: Path, reference: Path | None = None) -> tuple[dict[str, Seed], list[str]]:
    """One seed per registered format (where one can be found) and a log of what failed.

    Returns
    -------
    seeds : dict
        Format name -> :class:`Seed`.
    log : list of str
        Builders that failed and formats left without a seed.
    """
    from glutesense.io import formats

    root.mkdir(parents=True, exist_ok=True)
    names = {s.name for s in formats() if s.reader is not None}
    log: list[str] = []
    seeds = {k: v for k, v in _own_seeds(root / "own").items() if k in names}
    seeds.update(_extra_seeds(root / "extra", names, seeds, log))
    seeds.update(_reference_seeds(root / "reference", reference, names - set(seeds), log))
    for missing in sorted(names - set(seeds)):
        log.append(f"no seed for format {missing!r}")
    return seeds, log


# ---------------------------------------------------------------------------- zip helpers
def _deflate_zeros(n_bytes: int) -> tuple[bytes, int]:
    """Raw deflate stream of *n_bytes* zeros, built by repeating one fully flushed block."""
    block = 1 << 22
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = c.compress(b"\0" * block) + c.flush(zlib.Z_FULL_FLUSH)
    reps, rest = divmod(n_bytes, block)
    tail_c = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = tail_c.compress(b"\0" * rest) + tail_c.flush()
    crc = 0
    zero_block = b"\0" * block
    for _ in range(reps):
        crc = zlib.crc32(zero_block, crc)
    crc = zlib.crc32(b"\0" * rest, crc)
    return chunk * reps + tail, crc


def crafted_zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip built by hand: ``(name, stored_bytes, method, crc, declared_size)`` per member.

    The declared uncompressed size may be a lie (that is the point).
    """
    out = io.BytesIO()
    central = []
    for name, payload, method, crc, declared in members:
        bname = name.encode()
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21,
                              crc, len(payload), declared, len(bname), 0))
        out.write(bname)
        out.write(payload)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21,
                                   crc, len(payload), declared, len(bname), 0, 0, 0, 0, 0,
                                   offset) + bname)
    cd_start = out.tell()
    for c in central:
        out.write(c)
    cd_size = out.tell() - cd_start
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central),
                          cd_size, cd_start, 0))
    return out.getvalue()


_BOMB_CACHE: dict[int, tuple[bytes, int]] = {}


def zip_bomb_bytes(names: list[str], *, real_mb: int = 64,
                   declared: int = 0xFFFF0000) -> bytes:
    """A zip bomb: each member really holds *real_mb* MB of zeros (≈1000:1) and declares ≈4 GB.

    With two or more members the archive claims several GB in total; a reader
    that trusts nothing but the stream still only gets *real_mb* MB per member.
    """
    key = real_mb
    if key not in _BOMB_CACHE:
        _BOMB_CACHE[key] = _deflate_zeros(real_mb * 1024**2)
    payload, crc = _BOMB_CACHE[key]
    names = list(names) if len(names) >= 2 else list(names) + ["padding.bin"]
    return crafted_zip([(n, payload, 8, crc, declared) for n in names])


def edf_bytes(*, ns: int = 1, n_records: str = "2", duration: str = "1", spr: str = "10",
              pmin: str = "-100", pmax: str = "100", hbytes: int | None = None,
              bdf: bool = False) -> bytes:
    """A hand-made EDF (or BDF) file whose header fields can be set to anything."""
    def f(value: object, n: int) -> bytes:
        return str(value).ljust(n)[:n].encode("ascii")

    dmin, dmax = ("-8388608", "8388607") if bdf else ("-32768", "32767")
    magic = b"\xffBIOSEMI" if bdf else f("0", 8)
    h = (magic + f("X X X X", 80) + f("Startdate 01-JAN-2024 X X X", 80) + f("01.01.24", 8)
         + f("10.00.00", 8) + f(256 + 256 * ns if hbytes is None else hbytes, 8)
         + f("24BIT" if bdf else "", 44) + f(n_records, 8) + f(duration, 8) + f(ns, 4))
    for value, n in (("EMG", 16), ("AgAgCl", 80), ("uV", 8), (pmin, 8), (pmax, 8), (dmin, 8),
                     (dmax, 8), ("HP:10Hz", 80), (spr, 8), ("", 32)):
        h += f(value, n) * ns
    width = 3 if bdf else 2
    body = bytes((i * 7) % 256 for i in range(2 * 10 * max(ns, 1) * width))
    return h + body


def _npz(arrays: list[tuple[str, str | None]]) -> bytes:
    """An NPZ whose members are a text array (str) or a small float array (None)."""
    buf = io.BytesIO()
    np.savez(buf, **{k: (np.array(v) if v is not None else np.zeros((3, 10)))
                     for k, v in arrays})
    return buf.getvalue()


def _rezip(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


# ---------------------------------------------------------------------------- mutations
_SEPS = (",", "\t", ";", " ")
_BAD_CELLS = ("NaN", "nan", "inf", "-inf", "", "1e999", "abc", "-", "NULL", "0x1F", "1,5", "∞")


def _is_float(cell: str) -> bool:
    try:
        float(cell.strip().strip('"'))
    except ValueError:
        return False
    return True


def _text_of(raw: bytes) -> str | None:
    if b"\x00" in raw[:4096]:
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _split_table(text: str) -> tuple[str, list[str], list[list[str]]] | None:
    """(separator, header lines, data rows) when *text* looks like a numeric table."""
    lines = text.splitlines()
    best = None
    for sep in _SEPS:
        rows = [ln.split(sep) if sep != " " else ln.split() for ln in lines]
        numeric = [i for i, r in enumerate(rows) if len(r) >= 2 and all(_is_float(c) for c in r if c)]
        if len(numeric) >= 3 and (best is None or len(numeric) > best[0]):
            first = numeric[0]
            data = [rows[i] for i in numeric if i >= first]
            best = (len(numeric), sep, lines[:first], data)
    if best is None:
        return None
    return best[1], best[2], best[3]


def _join(sep: str, header: list[str], rows: list[list[str]], eol: str = "\n") -> bytes:
    return (eol.join(header + [sep.join(r) for r in rows]) + eol).encode()


def _text_mutations(raw: bytes, rnd: random.Random) -> Iterator[tuple[str, bytes]]:
    text = _text_of(raw)
    if text is None:
        return
    lines = text.splitlines()
    yield "header-only", ("\n".join(lines[:1]) + "\n").encode()
    yield "header-no-newline", lines[0].encode() if lines else b""
    yield "crlf", text.replace("\n", "\r\n").encode()
    yield "bom", b"\xef\xbb\xbf" + raw
    yield "blank-lines", "\n\n".join(lines).encode()
    yield "latin1-garbage-line", raw + "\u00e9\u00e8\u00ff garbage \u00a7\n".encode("latin-1")
    yield "trailing-garbage", raw + b"\x00\xff\xfe garbage\n"
    table = _split_table(text)
    if table is None:
        return
    sep, header, rows = table
    ncol = len(rows[0])

    def emit(name: str, new_rows: list[list[str]], new_header: list[str] | None = None) -> tuple[str, bytes]:
        return name, _join(sep, header if new_header is None else new_header, new_rows)

    perm = list(range(ncol))
    rnd.shuffle(perm)
    hdr_perm = [sep.join(h.split(sep)[i] for i in perm) if len(h.split(sep)) == ncol else h
                for h in header]
    yield emit("shuffled-columns", [[r[i] for i in perm] if len(r) == ncol else r for r in rows], hdr_perm)
    yield emit("shuffled-data-columns", [[r[i] for i in perm] if len(r) == ncol else r for r in rows])
    yield emit("reversed-columns", [r[::-1] for r in rows])
    for k in range(6):
        new = [list(r) for r in rows]
        for _ in range(rnd.choice((1, 3, len(rows) // 4 + 1))):
            r = rnd.randrange(len(new))
            c = rnd.randrange(len(new[r]))
            new[r][c] = rnd.choice(_BAD_CELLS)
        yield emit(f"bad-cells-{k}", new)
    yield emit("nan-everywhere", [["NaN"] * len(r) for r in rows])
    yield emit("inf-column", [[r[0]] + ["inf"] * (len(r) - 1) for r in rows])
    yield emit("nan-time", [["nan"] + r[1:] for r in rows])
    yield emit("huge-values", [[r[0]] + ["1e308"] * (len(r) - 1) for r in rows])
    yield emit("negative-values", [["-" + c.lstrip("-") for c in r] for r in rows])
    yield emit("zeros", [["0"] * len(r) for r in rows])
    yield emit("constant", [[r[0]] + ["1"] * (len(r) - 1) for r in rows])
    # time: non-monotonic, duplicated, too slow, absurd magnitudes
    yield emit("reversed-rows", rows[::-1])
    new = list(rows)
    for _ in range(max(1, len(new) // 10)):
        i, j = rnd.randrange(len(new)), rnd.randrange(len(new))
        new[i], new[j] = new[j], new[i]
    yield emit("swapped-rows", new)
    new = list(rows)
    i = rnd.randrange(1, max(2, len(new) - 1))
    yield emit("one-swap", new[:i - 1] + [new[i], new[i - 1]] + new[i + 1:])
    yield emit("shuffled-rows", rnd.sample(rows, len(rows)))
    yield emit("duplicated-rows", [r for r in rows for _ in (0, 1)])
    yield emit("same-time", [[rows[0][0]] + r[1:] for r in rows])
    dup = [list(r) for r in rows]
    for i in range(1, len(dup), 3):
        dup[i][0] = dup[i - 1][0]
    yield emit("every-third-time-duplicated", dup)

    def scaled_time(factor: float, offset: float = 0.0) -> list[list[str]]:
        out = []
        for r in rows:
            try:
                t = float(r[0].strip('"')) * factor + offset
            except ValueError:
                t = 0.0
            out.append([repr(t)] + r[1:])
        return out

    yield emit("time-x100-too-slow", scaled_time(100.0))
    yield emit("time-x1e9-ns", scaled_time(1e9))
    yield emit("time-x1e-6", scaled_time(1e-6))
    yield emit("time-offset-1e15", scaled_time(1.0, 1e15))
    yield emit("time-negative", scaled_time(-1.0))
    yield emit("two-rows", rows[:2])
    yield emit("one-row", rows[:1])
    yield emit("no-rows", [])
    yield emit("ragged-extra-field", [r + ["7"] if i % 5 == 2 else r for i, r in enumerate(rows)])
    yield emit("ragged-missing-field", [r[:-1] if i % 5 == 2 else r for i, r in enumerate(rows)])
    yield emit("one-column", [r[:1] for r in rows])
    yield "semicolon-sep", _join(";", [h.replace(sep, ";") for h in header], rows)
    yield "decimal-comma", _join(";", [h.replace(sep, ";") for h in header],
                                 [[c.replace(".", ",") for c in r] for r in rows])
    yield "quoted-cells", _join(sep, header, [[f'"{c}"' for c in r] for r in rows])
    yield "deleted-header", _join(sep, [], rows)
    yield "doubled-header", _join(sep, header + header, rows)


def _byte_mutations(raw: bytes, rnd: random.Random, n_trunc: int, n_flip: int) -> Iterator[tuple[str, bytes]]:
    size = len(raw)
    if size == 0:
        return
    offsets = sorted({int(size * k / (n_trunc + 1)) for k in range(1, n_trunc + 1)}
                     | {1, 2, 4, 8, 16, 64, 128, 512, 1024} & set(range(1, size)))
    offsets += [size - 1]
    for off in offsets:
        yield f"truncate@{off}", raw[:off]
    for k in range(n_flip):
        b = bytearray(raw)
        for _ in range(rnd.choice((1, 1, 2, 8))):
            i = rnd.randrange(size)
            b[i] = rnd.randrange(256)
        yield f"byteflip-{k}", bytes(b)
    for k in range(3):
        b = bytearray(raw)
        i = rnd.randrange(size)
        b[i:i] = rnd.randbytes(rnd.choice((1, 7, 300)))
        yield f"insert-{k}", bytes(b)
        i = rnd.randrange(size)
        yield f"delete-{k}", raw[:i] + raw[i + rnd.choice((1, 13, 400)):]
    i = rnd.randrange(size)
    yield "zero-block", raw[:i] + b"\0" * min(512, size - i) + raw[i + 512:]
    yield "ff-block", raw[:i] + b"\xff" * min(512, size - i) + raw[i + 512:]
    yield "doubled", raw + raw
    yield "random-tail", raw[: size // 2] + rnd.randbytes(size - size // 2)


def _zip_mutations(raw: bytes, rnd: random.Random) -> Iterator[tuple[str, bytes]]:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    except Exception:  # noqa: BLE001 - not a readable zip: nothing member-level to do
        return
    names = [n for n, _ in members]
    yield "zip-garbage-members", _rezip([(n, rnd.randbytes(max(16, len(d) // 4))) for n, d in members])
    yield "zip-empty-members", _rezip([(n, b"") for n, _ in members])
    yield "zip-stored", _rezip(members, zipfile.ZIP_STORED)
    yield "zip-no-members", _rezip([])
    yield "zip-bomb-right-names", zip_bomb_bytes(names)
    for k, (name, data) in enumerate(members):
        rest = [m for m in members if m[0] != name]
        yield f"zip-missing[{k}]", _rezip(rest)
        yield f"zip-truncated-member[{k}]", _rezip(rest + [(name, data[: len(data) // 2])])
        b = bytearray(data)
        for _ in range(4):
            if b:
                b[rnd.randrange(len(b))] = rnd.randrange(256)
        yield f"zip-flipped-member[{k}]", _rezip(rest + [(name, bytes(b))])
        yield f"zip-renamed-member[{k}]", _rezip(rest + [(name + ".old", data)])
        for j, (mname, mdata) in enumerate(_text_mutations(data, rnd)):
            if j % 3 == 0:  # a sample of the text mutations per text member
                yield f"zip-member[{k}]:{mname}", _rezip(rest + [(name, mdata)])


def _generic_cases(rnd: random.Random) -> Iterator[tuple[str, bytes]]:
    yield "empty", b""
    yield "enormous-line", b"1," * 700_000  # 1.4 MB, no newline
    yield "enormous-line-after-header", b"time_s,acc_x_ms2,acc_y_ms2,acc_z_ms2\n" + b"0.1," * 400_000
    yield "binary-garbage", rnd.randbytes(4096)
    yield "nul-bytes", b"\0" * 2048
    yield "zip-bomb", zip_bomb_bytes(["data.csv", "meta/time.csv", "Accelerometer.csv"])
    yield "not-a-zip-pk", b"PK\x03\x04" + rnd.randbytes(200)
    yield "sqlite-magic", b"SQLite format 3\x00" + rnd.randbytes(500)
    yield "parquet-magic", b"PAR1" + rnd.randbytes(300) + b"PAR1"


def _mutations_for(seed: Seed, rnd: random.Random, target: int) -> Iterator[tuple[Path, str, bytes]]:
    """(file to replace, mutation name, new content) for a seed, about *target* of them."""
    primary = seed.primary
    raw = primary.read_bytes()
    produced = 0
    fixed: list[tuple[Path, str, bytes]] = []
    for name, data in _generic_cases(rnd):
        fixed.append((primary, name, data))
    is_zip = raw[:4] == b"PK\x03\x04"
    if is_zip:
        fixed += [(primary, n, d) for n, d in _zip_mutations(raw, rnd)]
    fixed += [(primary, n, d) for n, d in _text_mutations(raw, rnd)]
    for sib in seed.files:
        if sib != primary:
            sraw = sib.read_bytes()
            fixed.append((sib, "sibling-empty", b""))
            fixed.append((sib, "sibling-garbage", rnd.randbytes(1000)))
            fixed += [(sib, f"sibling-{n}", d) for n, d in _byte_mutations(sraw, rnd, 6, 3)]
            fixed += [(sib, f"sibling-{n}", d) for i, (n, d) in enumerate(_text_mutations(sraw, rnd))
                      if i % 4 == 0]
    for item in fixed:
        produced += 1
        yield item
    remaining = max(target - produced, 30)
    n_trunc = max(10, remaining // 2)
    n_flip = max(10, remaining - n_trunc - 15)
    for n, d in _byte_mutations(raw, rnd, n_trunc, n_flip):
        yield primary, n, d


#: Extensions every format-free input is also tried under (detection is by content).
GENERIC_EXTS = (".csv", ".txt", ".tsv", ".json", ".npz", ".parquet", ".zip", ".xlsx", ".cwa",
                ".gt3x", ".edf", ".bdf", ".xdf", ".hea", ".sqlite", ".gswr", ".bin", "")


def _format_free_cases(rnd: random.Random) -> Iterator[tuple[str, str, bytes]]:
    """(mutation, file name, content) for inputs that belong to no format."""
    bomb = zip_bomb_bytes(["[Content_Types].xml", "xl/workbook.xml", "log.bin", "info.txt"])
    for ext in GENERIC_EXTS:
        yield "empty", f"input{ext}", b""
        yield "binary-garbage", f"input{ext}", rnd.randbytes(3000)
        yield "zip-bomb", f"input{ext}", bomb
        yield "enormous-line", f"input{ext}", b"9.81," * 250_000
        yield "text-not-a-table", f"input{ext}", b"Dear diary,\ntoday my buttock twitched.\n"
        yield "zip-garbage", f"input{ext}", _rezip([("data.csv", rnd.randbytes(500))])
    deep = "[" * 100_000 + "]" * 100_000
    yield "deep-json", "input.json", deep.encode()
    yield "deep-json-record", "input.json", (
        '[{"sensor":"Accelerometer","time":"1","seconds_elapsed":"0","x":' + deep + "}]").encode()
    yield "deep-json-npz-header", "input.npz", _npz([("header", deep), ("data", None)])


def _crafted_cases(fmt: str) -> Iterator[tuple[str, str, bytes]]:
    """(mutation, file name, content): hand-made headers with absurd fields for *fmt*."""
    if fmt in ("edf", "bdf"):
        bdf = fmt == "bdf"
        for name, kw in (("no-signals", {"ns": 0}), ("zero-samples-per-record", {"spr": "0"}),
                         ("zero-record-duration", {"duration": "0"}),
                         ("negative-records", {"n_records": "-1"}),
                         ("header-bytes-0", {"hbytes": 0}),
                         ("flat-physical-range", {"pmin": "5", "pmax": "5"}),
                         ("huge-samples-per-record", {"spr": "99999999"})):
            yield f"header-{name}", f"input.{fmt}", edf_bytes(bdf=bdf, **kw)


def build_corpus(root: Path, seeds: dict[str, Seed], *, min_total: int = MIN_CORPUS,
                 min_per_format: int = 40) -> list[Case]:
    """Write the mutated inputs under *root* (one folder per case) and list them.

    Besides the mutations of every seed there is a format-free group
    (``"(none)"``): empty files, binary garbage, zip bombs, one enormous line,
    prose and a zip of garbage, each under every known extension.
    """
    root.mkdir(parents=True, exist_ok=True)
    per_format = max(min_per_format, -(-min_total // max(1, len(seeds))))
    cases: list[Case] = []
    rnd = random.Random(20261125)
    for k, (mutation, name, data) in enumerate(_format_free_cases(rnd)):
        d = root / f"none-{k:04d}"
        d.mkdir()
        (d / name).write_bytes(data)
        cases.append(Case("(none)", mutation, d / name))
    for fmt, seed in sorted(seeds.items()):
        rnd = random.Random(zlib.crc32(fmt.encode()))
        for k, (target, mutation, data) in enumerate(_mutations_for(seed, rnd, per_format)):
            d = root / f"{fmt}-{k:04d}"
            d.mkdir()
            for f in seed.files:
                if f != target:
                    shutil.copyfile(f, d / f.name)
            (d / target.name).write_bytes(data)
            cases.append(Case(fmt, mutation, d / seed.primary.name))
        for k, (mutation, name, data) in enumerate(_crafted_cases(fmt)):
            d = root / f"{fmt}-crafted-{k:04d}"
            d.mkdir()
            (d / name).write_bytes(data)
            cases.append(Case(fmt, mutation, d / name))
    return cases
