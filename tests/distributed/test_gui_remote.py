"""The GUI's Remote machines dialog (F3) with real workers: status probes over the handshake,
the list feeding launched runs, and the worker commands in "Show command line"."""


from fl_pytorch import load_result, run

from .conftest import QUAD_SPEC, same_bits

FORM = dict(dataset="generated_for_quadratic_minimization", dataset_generation_spec=QUAD_SPEC,
            model="linear", loss="mse", compute_type="fp64", client_sampling_type="uniform",
            num_clients_per_round="4", algorithm="scaffold",
            algorithm_options="internal_sgd:full-gradient", run_local_steps=True,
            number_of_local_iters="2", local_lr="0.1", rounds="5", threadpool_for_local_opt="0",
            remote_timeout="20")


def _check(dialog, qtbot):
    assert dialog.check_status()
    qtbot.waitUntil(lambda: "checking…" not in dialog.statuses(), timeout=20_000)
    return dialog.statuses()


def test_dialog_probes_workers_and_its_list_runs_the_launched_experiment(
        window, qtbot, workers, secret_file, tmp_path):
    dialog = window.show_remote_machines()
    entries = [w.entry() for w in workers]
    for text in (*entries, "127.0.0.1:1:cpu"):
        dialog.entry.setText(text)
        assert dialog.add_entry()
    dialog.secret.setText(str(tmp_path / "missing"))
    assert not dialog.check_status() and "cannot read it" in dialog.error.text()
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("a-wrong-secret-for-this-test\n")
    dialog.secret.setText(str(wrong))
    refused = _check(dialog, qtbot)
    assert refused[0] == f"worker 127.0.0.1:{workers[0].port} refused the connection: wrong secret"
    dialog.secret.setText(str(secret_file))
    online, _, offline = _check(dialog, qtbot)
    assert online.startswith("online, idle; devices cpu") and "core(s), RAM" in online
    assert offline.startswith("offline: ")
    dialog.table.selectRow(2)
    dialog.remove_selected()
    dialog.use.setChecked(True)
    dialog.accept()
    editors = window.config_tab.editors
    assert editors["external_devices"].value() == ",".join(entries)
    assert editors["remote_secret_file"].value() == str(secret_file)

    for name, value in FORM.items():
        editors[name].set_value(value)
    shown = window.show_form_command_line().text.toPlainText()
    assert f"--external-devices {','.join(entries)}" in shown
    for w in workers:
        assert f"# on 127.0.0.1: ./run.sh worker --host 127.0.0.1 --port {w.port} " \
               f"--secret-file {secret_file}" in shown
    record = window.launch()
    qtbot.waitUntil(lambda: not record.active, timeout=60_000)
    assert record.status == "finished", record.error
    remote = load_result(record.out_path)
    assert remote["environment"]["executor"].startswith("remote: 2 worker(s)")
    local = run(record.config.replace(external_devices=""), out=tmp_path / "local.bin")
    assert same_bits(remote, local)
