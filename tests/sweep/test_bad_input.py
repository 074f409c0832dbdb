"""A bad sweep is refused before any run starts: one line naming key, value and valid choices."""

import json

import pytest

from fl_pytorch.cli import main

from .conftest import BASE


def _refused(argv, capsys, tmp_path):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("error: ")
    assert not list(tmp_path.rglob("*.bin")) and not (tmp_path / "results").exists()
    return err


@pytest.mark.parametrize("grid, expected", [
    ({"global_lrr": [0.1]}, "unknown option 'global_lrr'; did you mean 'global_lr'? valid "
                            "options: rounds, client_sampling_type,"),
    ({"algorithm": ["fedavg", "fedavgx"]}, "--algorithm: invalid value 'fedavgx'; did you mean "
                                           "'fedavg'? valid choices: "),
    ({"global_lr": [0.5, "fast"]}, "--global-lr: invalid value 'fast'; expected float"),
    ({"global_lr": [0.5, -1]}, "--global-lr: invalid value -1.0; must be > 0"),
    ({"client_compressor": ["randk:200%"]}, "--client-compressor: invalid value 'randk:200%'"),
    ({"rounds": 5}, "rounds: expected a non-empty list of values, got 5"),
    ({"global_lr": [0.1], "--global-lr": [0.2]}, "global_lr is swept twice"),
])
def test_bad_grid_entries_name_the_key_the_value_and_the_choices(
        grid, expected, sweep_file, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = sweep_file(grid)
    err = _refused(["sweep", str(path)], capsys, tmp_path)
    assert f"error: sweep file {str(path)!r}: {expected}" in err
    if "valid choices" in expected:
        assert "fedavg, " in err and "scaffold" in err


def test_unknown_top_level_and_base_keys(sweep_file, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = _refused(["sweep", str(sweep_file({"global_lr": [1]}, jobz=2))], capsys, tmp_path)
    assert "unknown key 'jobz'; valid keys: name, base, grid, seeds" in err
    base = {**BASE, "local_lrr": 0.1}
    err = _refused(["sweep", str(sweep_file({"global_lr": [1]}, base=base))], capsys, tmp_path)
    assert "unknown option 'local_lrr'; did you mean 'local_lr'?" in err
    err = _refused(["sweep", str(sweep_file({"global_lr": [1]}, seeds=0))], capsys, tmp_path)
    assert "seeds: invalid value 0; expected an integer in 1..10000" in err


def test_a_combination_that_is_invalid_names_its_run(sweep_file, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base = {**BASE, "client_sampling_type": "poisson"}
    path = sweep_file({"client_sampling_poisson": [0.5, 0.0]}, base=base)
    err = _refused(["sweep", str(path)], capsys, tmp_path)
    assert "sweep 's', run client_sampling_poisson=0 seed=456: --client-sampling-poisson: " \
           "invalid value 0.0 with --client-sampling-type poisson" in err


@pytest.mark.parametrize("argv, expected", [
    (["--sweep", "global_lr"], "--sweep: invalid value 'global_lr'; expected KEY=V1,V2,..."),
    (["--sweep", "global_lr=0.1,x"], "--sweep: --global-lr: invalid value 'x'; expected float"),
    (["--sweep", "algo=fedavg"], "--sweep: unknown option 'algo'"),
    (["--seeds", "0"], "--seeds: invalid value '0'; expected an integer in 1..10000"),
    (["--seeds", "2", "--out", "x.bin"], "--out: not available with a sweep: a sweep writes one "
                                         "result file per run into --sweep-dir"),
    (["--seeds", "2", "--sweep-mode", "fibers"], "--sweep-mode: invalid value 'fibers'; valid "
                                                 "choices: auto, processes, threads"),
    (["--seeds", "2", "--sweep", "manual_runtime_seed=1,2"], "seeds 2 and a list of "
                                                            "manual_runtime_seed values"),
])
def test_bad_command_line_sweeps(argv, expected, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base = [a for k, v in BASE.items() for a in
            ([f"--{k.replace('_', '-')}"] if v is True else [f"--{k.replace('_', '-')}", str(v)])]
    base = [a.replace("--number-of-local-iters", "-li") for a in base]
    err = _refused([*base, *argv], capsys, tmp_path)
    assert expected in err


def test_a_sweep_file_that_is_not_json(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.json").write_text("{grid: [")
    err = _refused(["sweep", "bad.json"], capsys, tmp_path)
    assert "sweep file 'bad.json': not JSON" in err
    (tmp_path / "list.json").write_text(json.dumps([1, 2]))
    assert "must hold a JSON object" in _refused(["sweep", "list.json"], capsys, tmp_path)
