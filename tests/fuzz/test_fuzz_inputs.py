"""Fuzz: bad values for every option and corrupt files of every kind end the same way.

Exit status 2, exactly one ``error:`` line on stderr, no traceback, and no file at ``--out``.
Option values come from the config metadata (``option_cases.py``: every option, its type, its
choices, its own checks), so options added later are fuzzed too; files cover every data loader
format, configurations, checkpoints and result files. Most cases run in this process through
``fl_pytorch.cli.main`` (fast); a few go through ``./run.sh`` in a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fl_pytorch import run
from fl_pytorch.cli import main

from .conftest import BASE, ROOT, quadratic_config
from .data_files import DATA_CASES
from .input_files import CONFIG_CASES, checkpoint_cases
from .option_cases import json_type_cases, option_cases, write_json
from .result_files import RESULT_CASES

OPTION_CASES = option_cases()
JSON_CASES = json_type_cases()
CHECKPOINT_CASES = checkpoint_cases()
RESULT_COMMANDS = {"show": [], "csv": ["-o", "{out}"], "json": ["-o", "{out}"]}
WORKER_CASES = {
    "worker-port-out-of-range": ["worker", "--port", "99999"],
    "worker-port-not-a-number": ["worker", "--port", "abc"],
    "worker-no-port": ["worker"],
    "worker-original-flag-junk": ["--worker-listen-mode=abc"],
    "worker-secret-dev-zero": ["worker", "--port", "0", "--secret-file", "/dev/zero"],
    "worker-secret-a-folder": ["worker", "--port", "0", "--secret-file", "/"],
    "worker-probe-junk": ["worker", "--probe", "no-port-here", "--secret-file", "{secret}"],
}


def refused(code: int, err: str, *outputs: Path) -> None:
    """The contract of every case."""
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (code, err)
    for out in outputs:
        assert not out.exists(), out


def cli(argv: list[str], capsys) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


def test_there_are_enough_distinct_cases():
    counts = [len(OPTION_CASES), len(JSON_CASES), len(DATA_CASES), len(CONFIG_CASES),
              len(CHECKPOINT_CASES), len(RESULT_CASES) * len(RESULT_COMMANDS), len(WORKER_CASES)]
    assert sum(counts) >= 150, counts
    assert len(OPTION_CASES) + len(JSON_CASES) >= 2 * len(BASE)  # every option has cases


@pytest.mark.parametrize("args", OPTION_CASES.values(), ids=OPTION_CASES.keys())
def test_a_bad_option_value_is_one_line(args, tmp_path, capsys):
    out = tmp_path / "out.bin"
    refused(*cli([*BASE, "--out", str(out), *args], capsys), out)


@pytest.mark.parametrize("content", JSON_CASES.values(), ids=JSON_CASES.keys())
def test_a_wrong_json_type_in_a_config_file_is_one_line(content, tmp_path, capsys):
    out = tmp_path / "out.bin"
    path = write_json(tmp_path / "c.json", content)
    refused(*cli(["--config", str(path), *BASE, "--out", str(out)], capsys), out)


@pytest.mark.parametrize("content", CONFIG_CASES.values(), ids=CONFIG_CASES.keys())
def test_a_bad_config_file_is_one_line(content, tmp_path, capsys):
    out, path = tmp_path / "out.bin", tmp_path / "c.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path = Path(content)
    refused(*cli(["--config", str(path), "--out", str(out)], capsys), out)


@pytest.mark.parametrize("make", DATA_CASES.values(), ids=DATA_CASES.keys())
def test_a_corrupt_data_file_is_one_line(make, tmp_path, capsys):
    out = tmp_path / "out.bin"
    refused(*cli([*make(tmp_path), "--out", str(out)], capsys), out)


@pytest.fixture(scope="module")
def good_checkpoint(tmp_path_factory):
    """A real checkpoint of a 2-round run (the cases break copies of it)."""
    folder = tmp_path_factory.mktemp("good")
    run(quadratic_config(checkpoint_dir=str(folder), checkpoint_every=1, rounds=2),
        out=folder / "good.bin")
    return folder / "good.ckpt"


@pytest.mark.parametrize("make", CHECKPOINT_CASES.values(), ids=CHECKPOINT_CASES.keys())
def test_a_bad_checkpoint_is_one_line(make, good_checkpoint, tmp_path, capsys):
    out = tmp_path / "out.bin"
    path = make(tmp_path, good_checkpoint)
    refused(*cli(["--resume-from", path, "--out", str(out), "--quiet"], capsys), out)


@pytest.mark.parametrize("command", RESULT_COMMANDS)
@pytest.mark.parametrize("data", RESULT_CASES.values(), ids=RESULT_CASES.keys())
def test_a_crafted_result_file_is_one_line(data, command, tmp_path, capsys):
    path, out = tmp_path / "r.bin", tmp_path / "exported"
    path.write_bytes(data)
    extra = [a.format(out=out) for a in RESULT_COMMANDS[command]]
    refused(*cli(["results", command, str(path), *extra], capsys), out)


@pytest.mark.parametrize("argv", WORKER_CASES.values(), ids=WORKER_CASES.keys())
def test_a_bad_worker_command_is_one_line(argv, tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("a-secret-of-more-than-sixteen-characters\n")
    refused(*cli([a.format(secret=secret) for a in argv], capsys))


NO_TORCH = """
import sys
from fl_pytorch.cli import main
code = main(sys.argv[1:])
assert "torch" not in sys.modules, "torch was imported before the error"
sys.exit(code)
"""


def test_an_unwritable_out_fails_before_torch_is_imported(tmp_path):
    """``./run.sh --out /proc/x.bin``: refused before the (seconds-long) import of torch."""
    proc = subprocess.run([sys.executable, "-c", NO_TORCH, *BASE, "--out", "/proc/x.bin"],
                          cwd=ROOT, capture_output=True, text=True)
    refused(proc.returncode, proc.stderr)
    assert proc.stderr == "error: --out: cannot use '/proc/x.bin': cannot create files in " \
        "/proc (No such file or directory)\n"


@pytest.mark.parametrize("case", ["run.sh-results-deep-nesting", "run.sh-config-not-utf8",
                                  "run.sh-empty-checkpoint", "run.sh-libsvm-proc-self-mem"])
def test_through_run_sh(case, tmp_path):
    bad = tmp_path / "bad"
    out = tmp_path / "out.bin"
    argv = {"run.sh-results-deep-nesting": ["results", "show", str(bad)],
            "run.sh-config-not-utf8": ["--config", str(bad), "--out", str(out)],
            "run.sh-empty-checkpoint": ["--resume-from", str(bad), "--out", str(out)],
            "run.sh-libsvm-proc-self-mem": [*DATA_CASES["libsvm-proc-self-mem"](tmp_path),
                                            "--out", str(out)]}[case]
    bad.write_bytes({"run.sh-results-deep-nesting": RESULT_CASES["result-deep-nesting"],
                     "run.sh-config-not-utf8": CONFIG_CASES["config-not-utf8"]}.get(case, b""))
    proc = subprocess.run([str(ROOT / "run.sh"), *argv], cwd=tmp_path, capture_output=True,
                          text=True)
    refused(proc.returncode, proc.stderr, out)
