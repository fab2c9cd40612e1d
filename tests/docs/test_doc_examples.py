"""Run every ``>>>`` example in the Markdown documentation (docs/**/*.md).

Each fenced code block that contains a ``>>>`` prompt is parsed with the standard
library's :class:`doctest.DocTestParser` and run with :class:`doctest.DocTestRunner`
(``ELLIPSIS`` and ``NORMALIZE_WHITESPACE``). The blocks of one file share one
namespace, in file order, like one interactive session, and run in a fresh
temporary folder (examples may write files). A mismatch fails the test with the
file, the line and the example's source, what was expected and what came out.

The test also checks that every relative link in the documentation points to a
file that exists, so the index (docs/README.md) cannot rot silently.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

#: An opening fence (``` or ~~~, three or more, optional info string) and its closing fence.
_FENCE = re.compile(r"^(?P<indent>[ ]{0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")


def markdown_files() -> list[Path]:
    """Every Markdown file under docs/, sorted."""
    return sorted(DOCS.rglob("*.md"))


def code_blocks(text: str) -> list[tuple[int, str]]:
    """Fenced code blocks as ``(line number of the first code line (0-based), code)``."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence = m.group("fence")
        start, j = i + 1, i + 1
        while j < len(lines):
            close = _FENCE.match(lines[j])
            if close and close.group("fence")[0] == fence[0] and \
                    len(close.group("fence")) >= len(fence) and not close.group("info").strip():
                break
            j += 1
        blocks.append((start, "\n".join(lines[start:j]) + "\n"))
        i = j + 1
    return blocks


def example_blocks(path: Path) -> list[tuple[str, int, list[doctest.Example], str]]:
    """``(name, first line, examples, code)`` for each fenced block holding a ``>>>`` prompt."""
    parser = doctest.DocTestParser()
    rel = path.relative_to(REPO).as_posix()
    out = []
    for start, code in code_blocks(path.read_text(encoding="utf-8")):
        if not re.search(r"^\s*>>>", code, flags=re.M):
            continue
        name = f"{rel}:{start + 1}"
        out.append((name, start, parser.get_examples(code, name), code))
    return out


#: The pages with at least one fenced block of ``>>>`` examples.
DOC_FILES = [p for p in markdown_files() if example_blocks(p)]


def test_documentation_has_examples() -> None:
    """The Python API reference is written as runnable examples."""
    names = {p.relative_to(DOCS).as_posix() for p in DOC_FILES}
    assert "reference/python-api.md" in names, sorted(names)


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_doc_examples(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``>>>`` example in *path* gives the output the page shows."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    globs: dict = {"__name__": "__doc_examples__"}
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    for name, start, examples, code in example_blocks(path):
        # DocTest copies the namespace it is given: carry it from block to block by hand.
        test = doctest.DocTest(examples, globs, name, str(path), start, code)
        runner.run(test, out=report.append, clear_globs=False)
        globs = test.globs
    results = runner.summarize(verbose=False)
    if results.failed:
        pytest.fail(f"{results.failed} of {results.attempted} examples in "
                    f"{path.relative_to(REPO)} failed:\n" + "".join(report), pytrace=False)


_LINK = re.compile(r"\[[^\]]*\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_relative_links_exist(path: Path) -> None:
    """Relative links (to other pages, source files, anchors aside) point to existing files."""
    text = path.read_text(encoding="utf-8")
    inside_code = {i for start, code in code_blocks(text)
                   for i in range(start, start + code.count("\n"))}
    missing = []
    for lineno, line in enumerate(text.splitlines()):
        if lineno in inside_code:
            continue
        for m in _LINK.finditer(line):
            target = m.group("target")
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, flags=re.I) or target.startswith("#"):
                continue                                   # http:, https:, mailto:, anchors
            file_part = target.split("#", 1)[0]
            if file_part and not (path.parent / file_part).exists():
                missing.append(f"line {lineno + 1}: {target}")
    assert not missing, f"{path.relative_to(REPO)} links to missing files: {missing}"
