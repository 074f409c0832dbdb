"""Import layering: nothing under fl_pytorch imports Qt or the GUI; the GUI uses only the public
API; the engine's inner layers never import the front ends (cli, api)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUI_ALLOWED = ("fl_pytorch", "fl_pytorch.api", "fl_pytorch.config", "fl_pytorch.cli_line",
               "fl_pytorch.cli", "fl_pytorch.errors", "fl_pytorch.registries",
               "fl_pytorch.results", "fl_pytorch.utils.monitor", "fl_pytorch.utils.logging_setup",
               "fl_pytorch.core.callbacks", "fl_pytorch.sweep")
INNER = ("core", "algorithms", "compressors", "data", "models", "execution", "results", "utils")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    names = []
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            names.append(base)
            names += [f"{base}.{a.name}" for a in node.names if base in ("fl_pytorch",)]
    return names


def test_engine_never_imports_qt_or_gui():
    for path in (ROOT / "fl_pytorch").rglob("*.py"):
        for name in _imports(path):
            assert not name.startswith(("PyQt5", "PySide", "gui")), f"{path}: imports {name}"


def test_inner_layers_never_import_front_ends():
    for layer in INNER:
        for path in (ROOT / "fl_pytorch" / layer).rglob("*.py"):
            for name in _imports(path):
                assert name not in ("fl_pytorch.cli", "fl_pytorch.api"), f"{path}: {name}"
                assert not name.startswith(("fl_pytorch.cli.", "fl_pytorch.api.")), path


def test_gui_uses_only_the_public_api():
    for path in (ROOT / "gui").rglob("*.py"):
        for name in _imports(path):
            if name.startswith("fl_pytorch"):
                assert name.startswith(GUI_ALLOWED), f"{path}: imports {name}"
