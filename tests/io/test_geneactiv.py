"""GENEActiv BIN is recognised but not readable (glutesense.io.geneactiv)."""

from __future__ import annotations

import json

import pytest

from glutesense.cli import main
from glutesense.errors import UnsupportedFormatError
from glutesense.io import detect, read


@pytest.fixture
def bin_file(tmp_path):
    path = tmp_path / "wrist.bin"
    path.write_bytes(b"Device Identity\r\nDevice Unique Serial Code:012345\r\n"
                     b"Device Type:GENEActiv\r\nMeasurement Frequency:100 Hz\r\n")
    return path


def test_detected_but_not_readable(bin_file):
    assert detect(bin_file).name == "geneactiv-bin"
    with pytest.raises(UnsupportedFormatError, match="cannot be read: no maintained"):
        read(bin_file)


def test_cli_says_why_in_one_line(bin_file, capsys):
    assert main(["info", str(bin_file)]) == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "GENEActiv" in err and str(bin_file) in err
    assert main(["formats", "--json"]) == 0
    spec = next(s for s in json.loads(capsys.readouterr().out) if s["name"] == "geneactiv-bin")
    assert spec["reader"] is None and "pygeneactiv" in spec["note"]
