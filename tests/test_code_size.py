"""Files stay small enough to read in one sitting: no Python file over 400 lines and no function
over 60 lines in fl_pytorch/, gui/ and experiments/."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("fl_pytorch", "gui", "experiments")
MAX_FILE_LINES, MAX_FUNCTION_LINES = 400, 60


def _sources():
    for folder in FOLDERS:
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_no_file_over_400_lines():
    long = [(str(p.relative_to(ROOT)), n) for p in _sources()
            if (n := len(p.read_text().splitlines())) > MAX_FILE_LINES]
    assert not long, f"files over {MAX_FILE_LINES} lines: {long}"


def test_no_function_over_60_lines():
    long = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append((str(path.relative_to(ROOT)), node.name, lines))
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"
