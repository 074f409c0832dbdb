"""Checks before any work: output locations, memory and time lower bounds, stale temp files."""

import os

import pytest

from fl_pytorch import ConfigError, load_result, prepare, run
from fl_pytorch.cli import main
from fl_pytorch.utils.sizes import human_bytes, machine_memory

QUAD = ["--dataset", "generated_for_quadratic_minimization", "--model", "linear", "--loss",
        "mse", "--metric", "loss", "--dataset-generation-spec",
        "clients:4,samples_per_client:10,variables:3", "--client-sampling-type", "full",
        "--rounds", "2", "--quiet"]


def one_error_line(capsys):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    return err.strip()


@pytest.mark.parametrize("flag, path, why", [
    ("--out", "/proc/x.bin", "cannot create files in /proc"),
    ("--out", "{tmp}/afile/x.bin", "afile is a file, not a folder"),
    ("--out", "{tmp}", "it is a folder; give a file name"),
    ("--out", "/dev/null", "it exists and is not a regular file"),
    ("--logfile", "{tmp}", "it is a folder"),
    ("--logfile", "/proc/x.log", "cannot create files in /proc"),
    ("--checkpoint-dir", "{tmp}/afile", "afile is a file, not a folder"),
    ("--save-config", "{tmp}/afile/c.json", "afile is a file, not a folder"),
])
def test_an_output_that_cannot_be_written_is_refused_before_any_work(flag, path, why, tmp_path,
                                                                     capsys):
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "r.bin"
    argv = [*QUAD, "--out", str(out), flag, path.format(tmp=tmp_path)]
    assert main(argv) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"error: {flag}: cannot use ") and why in line
    assert not out.exists()


def test_the_output_folders_are_created_when_missing(tmp_path):
    out = tmp_path / "new" / "deeper" / "r.bin"
    log = tmp_path / "logs" / "run.log"
    assert main([*QUAD, "--out", str(out), "--logfile", str(log),
                 "--checkpoint-dir", str(tmp_path / "ckpts"), "--checkpoint-every", "1"]) == 0
    assert out.is_file() and log.is_file() and (tmp_path / "ckpts" / "r.ckpt").is_file()


@pytest.mark.parametrize("args, flag, mostly", [
    (["--rounds", str(10**12)], "--rounds", "the metrics of 1000000000000 rounds"),
    (["--dataset-generation-spec", "clients:1000000000"], "--dataset-generation-spec",
     "the generated data set"),
    (["--dataset-generation-spec", "variables:60000,samples_per_client:60000"],
     "--dataset-generation-spec", "the generated data set"),
    (["-li", str(10**12)], "--number-of-local-iters", "the plan of 1000000000000 local steps"),
])
def test_a_run_beyond_the_machines_memory_is_refused_with_the_estimate(args, flag, mostly,
                                                                       tmp_path, capsys):
    assert main([*QUAD, *args, "--out", str(tmp_path / "r.bin")]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"error: {flag}: invalid value ") and f"(mostly {mostly}" in line
    assert "the run needs at least " in line
    assert f"but this machine has {human_bytes(machine_memory())}" in line
    assert not (tmp_path / "r.bin").exists()


def test_a_run_beyond_thirty_days_is_refused_with_the_estimate(quad_config, tmp_path):
    """Within bounds for one client a round (checked first), beyond them for the 10 clients
    of full participation (checked once the problem is built, before the first round)."""
    config = quad_config(rounds=10**6, run_local_steps=True, number_of_local_iters=10**6)
    with pytest.raises(ConfigError) as refused:  # 1e6 rounds x 10 clients x 1e6 steps x 1 us
        prepare(config, out=tmp_path / "r.bin")
    assert str(refused.value).startswith("--number-of-local-iters: invalid value 1000000; "
                                         "the run would take at least 116 days")
    assert "more than the 30 days this tool accepts" in str(refused.value)


def test_stale_temp_files_of_this_run_are_removed_and_others_kept(quad_config, tmp_path):
    stale = [tmp_path / ".r.bin.ab12cd34.tmp", tmp_path / ".r.ckpt.zz_9yy8x.tmp"]
    kept = [tmp_path / ".other.bin.ab12cd34.tmp", tmp_path / ".r.bin.tmp"]
    for path in stale + kept:
        path.write_bytes(b"half a file")
    run(quad_config(rounds=2, checkpoint_dir=str(tmp_path), checkpoint_every=1),
        out=tmp_path / "r.bin")
    assert not any(p.exists() for p in stale) and all(p.exists() for p in kept)
    (tmp_path / ".r.ckpt.qq11ww22.tmp").write_bytes(b"killed while writing")
    resumed = quad_config(rounds=3, checkpoint_dir=str(tmp_path), checkpoint_every=1,
                          resume_from=str(tmp_path / "r.ckpt"))
    assert run(resumed, out=tmp_path / "r2.bin")["status"] == "finished"
    assert not (tmp_path / ".r.ckpt.qq11ww22.tmp").exists()


@pytest.fixture
def umask():
    """Set the process umask for one test (restored after it)."""
    previous = os.umask(0o022)
    yield os.umask
    os.umask(previous)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_follow_the_umask(umask, mask, mode, quad_config, tmp_path):
    umask(mask)
    out = tmp_path / "r.bin"
    run(quad_config(rounds=2, checkpoint_every=1, checkpoint_dir=str(tmp_path)), out=out)
    assert main(["results", "csv", str(out), "-o", str(tmp_path / "r.csv")]) == 0
    assert main(["results", "plot", str(out), "-o", str(tmp_path / "r.png")]) == 0
    assert main([*QUAD, "--save-config", str(tmp_path / "c.json")]) == 0
    for name in ("r.bin", "r.ckpt", "r.csv", "r.png", "c.json"):
        assert oct((tmp_path / name).stat().st_mode & 0o777) == oct(mode), name


def test_a_rewritten_file_keeps_its_permissions(umask, quad_config, tmp_path):
    out = tmp_path / "r.bin"
    out.write_bytes(b"old")
    out.chmod(0o640)
    run(quad_config(rounds=1), out=out)
    assert load_result(out)["status"] == "finished" and out.stat().st_mode & 0o777 == 0o640
