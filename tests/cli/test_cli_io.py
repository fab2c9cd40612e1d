"""The I/O commands of the CLI: --version, formats, info, convert; exit codes and streams.

Contract (DESIGN §4.2): results only on stdout; warnings and errors on stderr;
exit 0 ok, 2 usage error, 3 unreadable input with exactly one line naming the
file and no traceback, 1 internal error. Checked in-process through
``glutesense.cli.main(argv)`` and, for a few cases, as real subprocesses
(``python -m glutesense`` and the installed ``glutesense`` script).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glutesense
import glutesense.io as gio
from glutesense.cli import main
from glutesense.recording import Recording

ACC = (("acc_x", "acc_y", "acc_z"), ("acc",) * 3, ("m/s^2",) * 3)


def recording(n: int = 500, fs: float = 100.0) -> Recording:
    rng = np.random.default_rng(3)
    data = 0.1 * rng.normal(size=(3, n)) + np.array([[0.0], [0.3], [9.8]])
    emg = Recording(1e-4 * rng.normal(size=(1, 2 * n)), 2 * fs * 5, ("emg",), ("emg",), ("V",))
    return Recording(data, fs, *ACC, streams={"emg": emg})


@pytest.fixture
def good_csv(tmp_path) -> Path:
    path = tmp_path / "good.csv"
    glutesense.write(recording(), path)
    return path


def run(argv, capfd):
    code = main(list(argv))
    out, err = capfd.readouterr()
    return code, out, err


# ----------------------------------------------------------------------------- bad inputs
def _csv(rows: str) -> bytes:
    return ("time_s,acc_x_ms2,acc_y_ms2,acc_z_ms2\n" + rows).encode()


def _truncated_parquet(tmp_path: Path) -> bytes:
    glutesense.write(recording(), tmp_path / "whole.parquet")
    raw = (tmp_path / "whole.parquet").read_bytes()
    for p in tmp_path.glob("whole*.parquet"):
        p.unlink()
    return raw[: len(raw) // 2]


BAD_INPUTS = {
    "missing": None,
    "empty": lambda d: b"",
    "binary": lambda d: bytes(range(256)) * 8,
    "truncated": _truncated_parquet,
    "nan_only": lambda d: _csv("".join(f"{i / 100},nan,nan,nan\n" for i in range(200))),
    "backwards_time": lambda d: _csv("".join(f"{(200 - i) / 100},0,0,9.8\n" for i in range(200))),
    "rate_2hz": lambda d: _csv("".join(f"{i / 2},0,0.1,9.8\n" for i in range(60))),
    "unknown_unit": lambda d: ("time_s,acc_x_ms2,acc_y_ms2,acc_z_ms2,temp_furlong\n"
                               + "".join(f"{i / 100},0,0,9.8,1\n" for i in range(200))).encode(),
}
EXT = {"truncated": ".parquet"}


@pytest.fixture(params=sorted(BAD_INPUTS))
def bad_file(request, tmp_path) -> Path:
    name = request.param
    path = tmp_path / f"bad_{name}{EXT.get(name, '.csv')}"
    make = BAD_INPUTS[name]
    if make is not None:
        path.write_bytes(make(tmp_path))
    return path


def assert_one_line_error(code, out, err, path: Path):
    assert code == 3, (code, err)
    assert out == "", f"nothing may go to stdout on error, got {out!r}"
    lines = err.splitlines()
    assert len(lines) == 1, f"expected exactly one line on stderr, got {err!r}"
    assert path.name in lines[0]
    assert lines[0].startswith("glutesense: error:")
    assert "Traceback" not in err


@pytest.mark.parametrize("cmd", [["info"], ["info", "--json"], ["convert"]])
def test_bad_input_exit_3_one_line(bad_file, cmd, capfd, tmp_path):
    argv = [*cmd, str(bad_file)] + ([str(tmp_path / "out.npz")] if cmd == ["convert"] else [])
    assert_one_line_error(*run(argv, capfd), bad_file)
    assert not (tmp_path / "out.npz").exists()


@pytest.mark.parametrize("which", ["rate_2hz", "nan_only", "binary", "missing"])
def test_bad_input_messages_say_what_is_wrong(which, tmp_path, capfd):
    path = tmp_path / f"x{EXT.get(which, '.csv')}"
    if BAD_INPUTS[which] is not None:
        path.write_bytes(BAD_INPUTS[which](tmp_path))
    code, out, err = run(["info", str(path)], capfd)
    expect = {"rate_2hz": "too low", "nan_only": "non-finite", "binary": "not a supported",
              "missing": "no such file"}[which]
    assert expect in err


def test_convert_to_unknown_extension(good_csv, tmp_path, capfd):
    out_path = tmp_path / "out.xyz"
    code, out, err = run(["convert", str(good_csv), str(out_path)], capfd)
    assert code == 3 and out == "" and len(err.splitlines()) == 1
    assert "out.xyz" in err and not out_path.exists()


# ----------------------------------------------------------------------------- good paths
def test_version(capfd):
    code, out, err = run(["--version"], capfd)
    assert code == 0 and out.strip() == f"glutesense {glutesense.__version__}" and err == ""


def test_formats_lists_every_registered_format(capfd):
    code, out, err = run(["formats"], capfd)
    assert code == 0
    for spec in glutesense.formats():
        assert spec.name in out, f"{spec.name} missing from `glutesense formats`"


def test_formats_json(capfd):
    code, out, err = run(["formats", "--json"], capfd)
    assert code == 0
    listed = json.loads(out)
    specs = glutesense.formats()
    assert [d["name"] for d in listed] == [s.name for s in specs]
    for d, s in zip(listed, specs):
        assert d["reader"] == (s.module if s.reader else None)
        assert d["writable"] == (s.writer is not None)
        assert d["signature"] and d["title"]


@pytest.mark.parametrize("ext", [".csv", ".npz", ".parquet"])
def test_info_json_matches_the_file(ext, tmp_path, capfd):
    rec = recording(n=730, fs=50.0)
    path = tmp_path / f"rec{ext}"
    glutesense.write(rec, path)
    code, out, err = run(["info", "--json", str(path)], capfd)
    assert code == 0, err
    info = json.loads(out)
    assert info["fs_hz"] == 50.0
    assert info["n_samples"] == 730
    assert info["duration_s"] == pytest.approx(730 / 50.0)
    assert info["path"] == str(path)
    assert info["format"] == gio.detect(path).name
    assert [c["name"] for c in info["channels"]] == list(ACC[0])
    assert info["streams"]["emg"]["fs_hz"] == rec.streams["emg"].fs


def test_info_text(good_csv, capfd):
    code, out, err = run(["info", str(good_csv)], capfd)
    assert code == 0
    assert str(good_csv) in out.replace("\n", "").replace(" ", "") or str(good_csv) in out
    assert "…" not in out, "info must not cut values short"
    assert "100 Hz" in out and "500" in out and "5.000 s" in out
    assert "stream emg" in out
    assert "Traceback" not in err


def test_info_warnings_go_to_stderr(tmp_path, capfd):
    rows = "".join(f"{i / 100},{'nan' if i == 7 else 0},0,9.8\n" for i in range(300))
    path = tmp_path / "holey.csv"
    path.write_bytes(_csv(rows))
    code, out, err = run(["info", str(path)], capfd)
    assert code == 0
    assert "warning: dropped 1 rows" in err
    assert "warning: dropped" not in out
    code, out, err = run(["info", "--json", str(path)], capfd)
    assert code == 0
    assert json.loads(out)["meta"]["warnings"]  # the JSON carries them too, stdout stays JSON


@pytest.mark.parametrize("chain", [(".csv", ".npz", ".parquet", ".csv"),
                                   (".csv", ".parquet", ".npz")])
def test_convert_preserves_values(chain, tmp_path, capfd):
    rec = recording()
    src = tmp_path / f"step0{chain[0]}"
    glutesense.write(rec, src)
    for i, ext in enumerate(chain[1:], start=1):
        dst = tmp_path / f"step{i}{ext}"
        code, out, err = run(["convert", str(src), str(dst)], capfd)
        assert code == 0, err
        assert out == "", "convert reports on stderr, not stdout"
        assert "wrote" in err
        src = dst
    back = glutesense.read(src)
    assert back.fs == rec.fs and back.n_samples == rec.n_samples
    np.testing.assert_allclose(back.data, rec.data, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(back.streams["emg"].data, rec.streams["emg"].data, atol=1e-12)


# ----------------------------------------------------------------------------- usage errors
@pytest.mark.parametrize("argv", [["info"], ["no-such-command"], ["info", "--bogus", "x.csv"],
                                  ["convert", "only-one-arg.csv"], ["formats", "--json", "extra"]])
def test_usage_errors_exit_2(argv, capfd):
    code, out, err = run(argv, capfd)
    assert code == 2, (code, err)
    assert out == ""
    assert "Usage" in err or "usage" in err.lower()
    assert "Traceback" not in err


def test_no_arguments_shows_help(capfd):
    code, out, err = run([], capfd)
    assert code in (0, 2)
    assert "Usage" in out + err


def test_internal_error_is_one_line_exit_1(monkeypatch, good_csv, capfd):
    import glutesense.io as gio

    def boom(*a, **k):
        raise ZeroDivisionError("synthetic bug")

    monkeypatch.setattr(gio, "read", boom)
    monkeypatch.delenv("GLUTESENSE_DEBUG", raising=False)
    code, out, err = run(["info", str(good_csv)], capfd)
    assert code == 1
    assert out == "" and len(err.splitlines()) == 1
    assert "internal error" in err and "ZeroDivisionError" in err and "Traceback" not in err


# ----------------------------------------------------------------------------- subprocess
def _commands() -> list[list[str]]:
    cmds = [[sys.executable, "-m", "glutesense"]]
    script = Path(sys.executable).with_name("glutesense")
    if script.exists():
        cmds.append([str(script)])
    elif shutil.which("glutesense"):
        cmds.append([shutil.which("glutesense")])
    return cmds


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("GLUTESENSE_DEBUG", None)
    env["NO_COLOR"] = "1"
    return env


@pytest.mark.parametrize("cmd", _commands(), ids=lambda c: Path(c[-1]).name)
def test_subprocess_version_and_info(cmd, good_csv):
    r = subprocess.run([*cmd, "--version"], capture_output=True, text=True, env=_env(), timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == f"glutesense {glutesense.__version__}"
    r = subprocess.run([*cmd, "info", "--json", str(good_csv)], capture_output=True, text=True,
                       env=_env(), timeout=120)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["fs_hz"] == 100.0 and info["n_samples"] == 500


@pytest.mark.parametrize("which", ["backwards_time"])  # in-process tests cover the rest
def test_subprocess_bad_input(which, tmp_path):
    path = tmp_path / f"sub_{which}.csv"
    if BAD_INPUTS[which] is not None:
        path.write_bytes(BAD_INPUTS[which](tmp_path))
    r = subprocess.run([sys.executable, "-m", "glutesense", "info", str(path)],
                       capture_output=True, text=True, env=_env(), timeout=120)
    assert_one_line_error(r.returncode, r.stdout, r.stderr, path)


def test_subprocess_usage_error():
    r = subprocess.run([sys.executable, "-m", "glutesense", "info"], capture_output=True,
                       text=True, env=_env(), timeout=120)
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr


def test_warnings_and_library_logs_are_one_line_or_silent(monkeypatch, good_csv, capfd):
    """A GlutesenseWarning is one stderr line; numpy warnings and third-party log chatter
    (pyxdf, pygt3x log warnings on malformed files) do not reach the user by default."""
    import logging
    import warnings as _w

    import glutesense.io as gio_mod
    from glutesense.errors import GlutesenseWarning

    real_read = gio_mod.read

    def chatty_read(path, **kw):
        _w.warn("padded 3 samples", GlutesenseWarning, stacklevel=2)
        _w.warn("overflow encountered in square", RuntimeWarning, stacklevel=2)
        logging.getLogger("pyxdf.pyxdf").warning("Stream 1: Segments and clock-segments differ")
        return real_read(path, **kw)

    monkeypatch.setattr(gio_mod, "read", chatty_read)
    monkeypatch.delenv("GLUTESENSE_DEBUG", raising=False)
    code, out, err = run(["info", "--json", str(good_csv)], capfd)
    assert code == 0
    json.loads(out)
    assert err.splitlines() == ["glutesense: warning: padded 3 samples"], err


def test_subprocess_third_party_log_chatter_is_silent(good_csv):
    """Outside pytest (no logging handlers configured) Python's last-resort handler would
    print library log warnings on stderr; the CLI must keep stderr to its own lines."""
    code = (
        "import logging, sys\n"
        "import glutesense.io as g\n"
        "real = g.read\n"
        "def chatty(p, **k):\n"
        "    logging.getLogger('pygt3x.reader').warning('Unexpected payload shape (30, 5)')\n"
        "    logging.getLogger('glutesense.io.test').warning('our own warning')\n"
        "    return real(p, **k)\n"
        "g.read = chatty\n"
        "from glutesense.cli import main\n"
        f"sys.exit(main(['info', '--json', {str(good_csv)!r}]))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(),
                       timeout=120)
    assert r.returncode == 0, r.stderr
    json.loads(r.stdout)
    assert r.stderr.splitlines() == ["glutesense: warning: our own warning"], r.stderr


def test_fs_option_for_a_table_without_time(tmp_path, capsys):
    """`--fs` reads an x,y,z table at a stated rate; formats with their own time base refuse it."""
    import numpy as np

    from glutesense.cli import main as cli_main

    p = tmp_path / "xyz.csv"
    rows = np.column_stack([np.zeros(1000), np.zeros(1000), np.full(1000, 9.81)])
    rows += np.random.default_rng(0).normal(0, 0.01, rows.shape)
    np.savetxt(p, rows, fmt="%.5f", delimiter=",", header="x,y,z", comments="")
    assert cli_main(["info", str(p)]) == 3
    assert "--fs" in capsys.readouterr().err
    assert cli_main(["info", str(p), "--fs", "250", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["fs_hz"] == 250.0 and doc["duration_s"] == 4.0
    canon = tmp_path / "c.csv"
    assert cli_main(["convert", str(p), str(canon), "--fs", "250"]) == 0
    assert cli_main(["info", str(canon), "--fs", "100"]) == 3
    assert "own time base" in capsys.readouterr().err
