"""Import layering of fl_pytorch and the GUI.

Every module of fl_pytorch may import only modules of its own layer or of the layers below it
(function-level imports included), the packages form no cycle, nothing under fl_pytorch imports
Qt or the GUI, and the GUI uses only the public API. The layers, bottom to top:
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: bottom to top; a module may import its own layer and the layers below
LAYERS = [
    {"errors", "plugins", "registry", "cli_substitution"},
    {"utils"},
    {"results", "heterogeneity"},
    {"compressors", "data"},
    {"models"},
    {"execution"},
    {"core"},
    {"vectorized"},
    {"algorithms"},
    {"registries"},
    {"config_checks"},
    {"config_fields"},
    {"config"},
    {"cli_line", "tracking"},
    {"engine"},
    {"distributed"},
    {"validation"},
    {"extend", "api"},
    {"sweep"},
    {"cli", "__main__"},
]
LEVEL = {name: k for k, layer in enumerate(LAYERS) for name in layer}
GUI_ALLOWED = ("fl_pytorch", "fl_pytorch.api", "fl_pytorch.config", "fl_pytorch.cli_line",
               "fl_pytorch.cli", "fl_pytorch.errors", "fl_pytorch.registries",
               "fl_pytorch.results", "fl_pytorch.tracking.monitor",
               "fl_pytorch.tracking.logging_setup", "fl_pytorch.core.callbacks",
               "fl_pytorch.plugins", "fl_pytorch.sweep")


def _imports(path: Path) -> list[str]:
    """Absolute names of every module ``path`` imports (at any depth of the code)."""
    tree = ast.parse(path.read_text(), str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            if node.module is None:  # ``from . import registries``: the modules themselves
                names += [f"{base}.{a.name}" for a in node.names]
            else:
                names.append(base)
    return names


def _part(module: str) -> str | None:
    """The top-level part of fl_pytorch a module belongs to (None: the package itself)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "fl_pytorch" and len(parts) > 1 else None


def _modules():
    for path in sorted((ROOT / "fl_pytorch").rglob("*.py")):
        yield path, ".".join(path.relative_to(ROOT).with_suffix("").parts)


def test_every_part_of_fl_pytorch_has_a_layer():
    parts = {_part(module) for _, module in _modules()} - {None, "__init__"}
    assert parts <= set(LEVEL), f"parts without a layer: {sorted(parts - set(LEVEL))}"


def test_imports_point_downwards():
    wrong = []
    for path, module in _modules():
        here = _part(module)
        if here in (None, "__init__"):
            continue
        for name in _imports(path):
            there = _part(name)
            if there is not None and LEVEL[there] > LEVEL[here]:
                wrong.append(f"{module} -> {name}")
    assert not wrong, "imports that point upwards:\n" + "\n".join(wrong)


def test_packages_form_no_cycle():
    edges: dict[str, set[str]] = defaultdict(set)
    for path, module in _modules():
        for name in _imports(path):
            a, b = _part(module), _part(name)
            if a and b and a != b:
                edges[a].add(b)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and not seen.add(n) and reaches(n, goal, seen))
                   for n in edges.get(start, ()))
    cycles = [(a, b) for a in list(edges) for b in edges[a] if reaches(b, a, set())]
    assert not cycles, f"package cycles through: {cycles}"


def test_engine_never_imports_qt_or_gui():
    for path, _ in _modules():
        for name in _imports(path):
            assert not name.startswith(("PyQt5", "PySide", "gui")), f"{path}: imports {name}"


def test_gui_imports_no_torch():
    """The GUI reaches PyTorch only through fl_pytorch (runs, devices, versions)."""
    for path in (ROOT / "gui").rglob("*.py"):
        bad = [n for n in _imports(path) if n.split(".")[0] in ("torch", "torchvision")]
        assert not bad, f"{path}: imports {bad[0]}"


def test_gui_uses_only_the_public_api():
    for path in (ROOT / "gui").rglob("*.py"):
        for name in _imports(path):
            if name.startswith("fl_pytorch"):
                assert name.startswith(GUI_ALLOWED), f"{path}: imports {name}"
