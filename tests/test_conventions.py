"""House conventions, checked by machine (style.md §3.5 rules 5, 6, 8, 13; scikit-learn's
``test_common.py`` in spirit): a light ``import glutesense``, the simulator/analyser
firewall, ``__all__`` everywhere, one warning category and one logger, and a format
registry whose every entry is documented, importable and listed by ``glutesense formats``.

The checks read the source with :mod:`ast` where they can, so they also cover
modules whose optional dependencies are not installed, and they grow with the
code base: a new ``detectors/`` module is scanned the moment it exists.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import glutesense
import glutesense.io as gio

SRC = Path(glutesense.__file__).resolve().parent
PKG = "glutesense"

#: Packages on the analyser side of the firewall (DESIGN §2, style rule 6). evaluation/ is
#: deliberately absent: it scores detectors against simulated truth, so it may use the simulator.
ANALYSER = ("detectors", "analysis", "triage", "reporting")
#: The simulator packages they must never import.
SIMULATOR = ("body", "sensors", "scenarios")
#: Heavy optional stacks that a plain `import glutesense` must not pull in (rule 5).
HEAVY = ("matplotlib", "fastapi", "dask", "distributed", "sqlalchemy", "plotly", "numba",
         "uvicorn")


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(*subpackages: str) -> list[Path]:
    roots = [SRC / s for s in subpackages] if subpackages else [SRC]
    files: list[Path] = []
    for root in roots:
        if root.is_dir():
            files += sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
        elif root.with_suffix(".py").is_file():
            files.append(root.with_suffix(".py"))
    return files


@functools.lru_cache(maxsize=None)
def _parse_cached(path: Path, mtime: float) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def parse(path: Path) -> ast.Module:
    return _parse_cached(path, path.stat().st_mtime)


# ----------------------------------------------------------------------------- rule 5: light import
def _modules_after(code: str) -> set[str]:
    r = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; "
                        "print(json.dumps(sorted(sys.modules)))"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return set(json.loads(r.stdout.strip().splitlines()[-1]))


def _top(mods: set[str]) -> set[str]:
    return {m.split(".")[0] for m in mods}


def test_import_glutesense_is_light():
    mods = _modules_after("import glutesense")
    assert not _top(mods) & set(HEAVY), sorted(_top(mods) & set(HEAVY))
    # the CLI stack and the readers are loaded only when used
    assert not _top(mods) & {"typer", "click", "rich", "pandas", "pyarrow", "scipy"}, \
        sorted(_top(mods) & {"typer", "click", "rich", "pandas", "pyarrow", "scipy"})


def test_computation_packages_do_not_import_heavy_stacks():
    """Reading files and analysing them never needs matplotlib, a web server or dask."""
    light = [f"{PKG}.{p}" for p in ("io", "dsp", "detectors", "analysis", "triage", "body",
                                    "sensors", "scenarios", "recording", "units")
             if importlib.util.find_spec(f"{PKG}.{p}") is not None]
    code = "\n".join(f"import {m}" for m in light) + "\nimport glutesense.io; glutesense.io.formats()"
    mods = _modules_after(code)
    offenders = _top(mods) & {"matplotlib", "fastapi", "dask", "distributed", "sqlalchemy",
                               "plotly", "uvicorn"}
    assert not offenders, f"importing {light} pulled in {sorted(offenders)}"


# ----------------------------------------------------------------------------- rule 6: firewall
def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """Absolute module named by a (possibly relative) ``from ... import``."""
    if node.level == 0:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join(base + ([node.module] if node.module else []))


def imported_modules(tree: ast.Module, module: str, is_package: bool) -> list[tuple[int, str]]:
    """Every module an AST imports, absolute, with line numbers.

    ``from X import name`` yields both ``X`` and ``X.name`` (the name may be a
    submodule: ``from .. import body``). String literals passed to
    ``importlib.import_module``/``__import__`` count as imports too.
    """
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node)
            out.append((node.lineno, base))
            out += [(node.lineno, f"{base}.{a.name}" if base else a.name) for a in node.names]
        elif isinstance(node, ast.Call):
            f = node.func
            fname = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if fname in ("import_module", "__import__") and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                target = node.args[0].value
                if target.startswith(".") and len(node.args) > 1:
                    pkg = node.args[1]
                    if isinstance(pkg, ast.Constant) and isinstance(pkg.value, str):
                        target = pkg.value + target
                out.append((node.lineno, target))
    return out


def firewall_violations(path: Path, module: str, root: Path | None = None) -> list[str]:
    """Imports of the simulator packages in the file *path*, which is module *module*."""
    root = SRC.parent if root is None else root
    forbidden = tuple(f"{PKG}.{s}" for s in SIMULATOR)
    bad = []
    for line, name in imported_modules(parse(path), module, path.name == "__init__.py"):
        if name in forbidden or name.startswith(tuple(f + "." for f in forbidden)):
            bad.append(f"{path.relative_to(root)}:{line} imports {name}")
    return bad


def test_firewall_analyser_never_imports_simulator():
    files = source_files(*ANALYSER)
    bad = [v for f in files for v in firewall_violations(f, module_name(f))]
    assert not bad, "simulator/analyser firewall breached:\n" + "\n".join(bad)


def test_firewall_holds_transitively():
    """Importing the analyser side loads no simulator module, not even through a helper."""
    mods = [module_name(f) for f in source_files(*ANALYSER) if f.name != "__main__.py"]
    if not mods:
        pytest.skip("no analyser modules exist yet")
    code = "import importlib\n" + "\n".join(
        f"importlib.import_module({m!r})" for m in mods)
    loaded = _modules_after(code)
    leaked = sorted(m for m in loaded if m.split(".")[:2] in ([PKG, s] for s in SIMULATOR))
    assert not leaked, f"importing the analyser loaded {leaked}"


def _synthetic(tmp_path: Path, where: str, snippet: str) -> tuple[Path, str]:
    path = tmp_path / PKG / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(snippet) + "\n")
    parts = list(Path(where).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return path, ".".join([PKG, *parts])


@pytest.mark.parametrize("snippet,where", [
    ("import glutesense.body", "detectors/evil.py"),
    ("import glutesense.sensors.accelerometer as acc", "analysis/evil.py"),
    ("from glutesense.scenarios import load", "triage/evil.py"),
    ("from glutesense import body", "reporting/evil.py"),
    ("from .. import body", "detectors/evil.py"),
    ("from ..sensors import emg", "detectors/evil.py"),
    ("from ...body.twitch import simulate", "detectors/sub/evil.py"),
    ("from .. import scenarios", "analysis/__init__.py"),
    ("def f():\n    from ..body import twitch\n    return twitch", "analysis/evil.py"),
    ("import importlib\nm = importlib.import_module('glutesense.body.twitch')", "triage/evil.py"),
    ("import importlib\nm = importlib.import_module('.body', 'glutesense')", "triage/evil.py"),
])
def test_firewall_scanner_flags_offenders(tmp_path, snippet, where):
    """Self-test: the scanner catches every import form (so the firewall is not vacuous)."""
    path, module = _synthetic(tmp_path, where, snippet)
    assert firewall_violations(path, module, tmp_path), f"scanner missed {snippet!r} in {where}"


@pytest.mark.parametrize("snippet,where", [
    ("import glutesense.recording", "detectors/ok.py"),
    ("from ..dsp import filters", "detectors/ok.py"),
    ("from . import twitch", "detectors/ok.py"),  # glutesense.detectors.twitch, not body.twitch
    ("from . import scenarios", "analysis/__init__.py"),  # glutesense.analysis.scenarios
    ("from ..recording import Recording\nbody = 1", "analysis/ok.py"),
    ("import numpy as np", "reporting/ok.py"),
    ("x = 'glutesense.body'", "triage/ok.py"),
])
def test_firewall_scanner_passes_clean_modules(tmp_path, snippet, where):
    path, module = _synthetic(tmp_path, where, snippet)
    assert firewall_violations(path, module, tmp_path) == []


# ----------------------------------------------------------------------------- rule 5: __all__
#: Files that are Python but not importable modules: alembic loads migration scripts by path.
NOT_MODULES = ("web/migrations/",)


def _is_public(path: Path) -> bool:
    rel = path.relative_to(SRC)
    if rel.as_posix().startswith(NOT_MODULES):
        return False
    parts = list(rel.parts)
    if parts[-1] == "__init__.py":
        parts = parts[:-1]
    else:
        parts[-1] = parts[-1][:-3]
    return not any(p.startswith("_") for p in parts)


def _defines_all(tree: ast.Module) -> bool:
    for node in tree.body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else [])
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return True
    return False


def _all_names(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            try:
                return list(ast.literal_eval(node.value))
            except (ValueError, TypeError):
                return None
    return None


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def test_every_public_module_defines_all():
    missing = [str(p.relative_to(SRC.parent)) for p in source_files()
               if _is_public(p) and not _defines_all(parse(p))]
    assert not missing, "public modules without __all__:\n" + "\n".join(missing)


def test_all_lists_only_defined_names():
    bad = []
    for p in source_files():
        tree = parse(p)
        names = _all_names(tree)
        if names is None:
            continue
        defined = _top_level_names(tree)
        lazy = "__getattr__" in defined  # a lazy package resolves names on demand
        for n in names:
            if not isinstance(n, str):
                bad.append(f"{p.relative_to(SRC.parent)}: non-string {n!r} in __all__")
            elif n not in defined and not lazy:
                bad.append(f"{p.relative_to(SRC.parent)}: __all__ lists undefined {n!r}")
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            bad.append(f"{p.relative_to(SRC.parent)}: duplicates in __all__: {sorted(dupes)}")
    assert not bad, "\n".join(bad)


def test_top_level_lazy_names_resolve():
    for name in glutesense.__all__:
        assert getattr(glutesense, name) is not None, name


# ----------------------------------------------------------------------------- rule 8: errors, warnings, logging
def _calls(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            yield node, (f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")), f


def test_no_print_in_library_code():
    """Results reach stdout only through the CLI; library code logs or warns."""
    bad = []
    for p in source_files():
        rel = p.relative_to(SRC)
        if rel.parts[0] in ("cli",) or p.name == "__main__.py":
            continue
        for node, name, f in _calls(parse(p)):
            if name == "print" and isinstance(f, ast.Name):
                bad.append(f"{p.relative_to(SRC.parent)}:{node.lineno}")
    assert not bad, "print() in library code:\n" + "\n".join(bad)


def test_warnings_use_the_one_category():
    bad = []
    for p in source_files():
        for node, name, f in _calls(parse(p)):
            if name != "warn" or not (isinstance(f, ast.Attribute) and getattr(f.value, "id", "") == "warnings"):
                continue
            cat = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "category"), None)
            cat_name = (cat.id if isinstance(cat, ast.Name)
                        else cat.attr if isinstance(cat, ast.Attribute) else None)
            # GlutesenseWarning for everything users see; the two deprecation categories
            # are allowed for API changes.
            if cat_name not in ("GlutesenseWarning", "DeprecationWarning", "FutureWarning"):
                bad.append(f"{p.relative_to(SRC.parent)}:{node.lineno} warns with {cat_name}")
    assert not bad, "warnings.warn without GlutesenseWarning:\n" + "\n".join(bad)


def test_one_logger():
    bad = []
    for p in source_files():
        for node, name, f in _calls(parse(p)):
            if name != "getLogger" or not node.args:
                continue
            arg = node.args[0]
            ok = (isinstance(arg, ast.Name) and arg.id == "__name__") or (
                isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                and (arg.value == PKG or arg.value.startswith(PKG + ".")))
            if not ok:
                bad.append(f"{p.relative_to(SRC.parent)}:{node.lineno}")
    assert not bad, "loggers outside the 'glutesense' hierarchy:\n" + "\n".join(bad)


def test_error_hierarchy():
    from glutesense import errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        if name == "GlutesenseWarning":
            assert issubclass(cls, UserWarning)
            continue
        assert issubclass(cls, errors.GlutesenseError), name
        if cls is not errors.GlutesenseError:
            assert issubclass(cls, ValueError), f"{name} should also be a ValueError"
    e = errors.FormatError("bad\n  thing", path="/x/y.csv")
    assert e.one_line() == "/x/y.csv: bad thing" and str(e) == e.one_line()


# ----------------------------------------------------------------------------- the format registry
@pytest.fixture(scope="module")
def specs():
    return gio.formats()


def test_format_specs_are_documented(specs):
    import re

    names = [s.name for s in specs]
    assert len(names) == len(set(names))
    for s in specs:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s.name), s.name
        assert s.title.strip(), f"{s.name}: empty title"
        assert s.signature.strip(), f"{s.name}: empty signature"
        assert callable(s.sniff), s.name
        assert all(e.startswith(".") and e == e.lower() for e in s.extensions), s.name
        if s.reader is None:
            assert s.note.strip(), f"{s.name} cannot be read and says nothing about why"
        else:
            assert callable(s.reader)
            assert s.module and importlib.util.find_spec(s.module) is not None, \
                f"{s.name}: reader module {s.module!r} does not exist"
            assert s.reader.__module__ == s.module, \
                f"{s.name}: module says {s.module!r}, reader lives in {s.reader.__module__!r}"


def test_every_registering_module_is_listed():
    """A module that registers a format but is missing from _FORMAT_MODULES is unreachable."""
    from glutesense import io as gio

    listed = set(gio._FORMAT_MODULES)
    unlisted = []
    for p in source_files("io"):
        if p.name.startswith("_"):
            continue
        registers = any(name == "register" for _, name, _ in _calls(parse(p)))
        if registers and p.stem not in listed:
            unlisted.append(p.stem)
    assert not unlisted, f"io modules that register formats but are not in _FORMAT_MODULES: {unlisted}"


def test_every_listed_module_registers_something(specs):
    from glutesense import io as gio

    modules = {s.module for s in specs}
    silent = [m for m in gio._FORMAT_MODULES if f"{PKG}.io.{m}" not in modules]
    assert not silent, f"listed in _FORMAT_MODULES but register no format: {silent}"


def test_every_format_reachable_from_cli(specs, capfd):
    from glutesense.cli import main

    assert main(["formats", "--json"]) == 0
    listed = {d["name"]: d for d in json.loads(capfd.readouterr().out)}
    for s in specs:
        assert s.name in listed, f"{s.name} not listed by `glutesense formats`"
        assert listed[s.name]["reader"] == (s.module if s.reader else None)
    assert main(["formats"]) == 0
    table = capfd.readouterr().out
    for s in specs:
        assert s.name in table, f"{s.name} not visible in the `glutesense formats` table"
