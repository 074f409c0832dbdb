"""Configuration tab: generated from the config's metadata, validated with the CLI's messages."""

import dataclasses

import pytest
from PyQt5.QtCore import QPoint, Qt
from PyQt5.QtWidgets import QApplication

from fl_pytorch import Config
from fl_pytorch.cli import main as cli_main
from fl_pytorch.config import GROUPS, OPTIONS, choices_of, primary_flag
from gui.form import RULES, applies, field_label
from gui.widgets.option_editors import BoolEditor, ChoiceEditor, DeviceEditor, SeedEditor


def test_every_option_has_a_widget_in_its_paper_group(window):
    tab = window.config_tab
    assert set(tab.editors) == set(OPTIONS)
    for name, editor in tab.editors.items():
        group = OPTIONS[name].metadata["group"]
        assert editor.parentWidget().title() == GROUPS[group], name
        assert tab.labels[name].text() == field_label(name)
        assert primary_flag(OPTIONS[name]) in editor.toolTip()
        choices = choices_of(name)
        if choices is not None:
            assert isinstance(editor, ChoiceEditor), name
            assert [editor.combo.itemText(i) for i in range(editor.combo.count())] == choices
        elif isinstance(OPTIONS[name].default, bool):
            assert isinstance(editor, BoolEditor), name


def test_form_round_trips_a_config(window):
    config = Config(rounds=7, algorithm="scaffold", client_compressor="randk:40%",
                    run_local_steps=True, global_lr=0.25, comment="a 'quoted' comment",
                    client_sampling_type="poisson", client_sampling_poisson=0.3)
    window.config_tab.set_config(config)
    assert window.config_tab.current_config() == config
    window.config_tab.set_config(Config())
    assert window.config_tab.current_config() == Config()


def test_only_options_that_apply_are_shown(window):
    tab = window.config_tab
    tab.editors["client_sampling_type"].set_value("uniform")
    assert not tab.editors["client_sampling_poisson"].isVisible()
    assert tab.editors["num_clients_per_round"].isVisible()
    tab.editors["client_sampling_type"].set_value("poisson")
    assert tab.editors["client_sampling_poisson"].isVisible()
    assert not tab.editors["num_clients_per_round"].isVisible()
    tab.editors["client_sampling_type"].set_value("poisson-no-empty")
    assert tab.editors["client_sampling_poisson"].isVisible()
    tab.editors["local_optimiser"].set_value("adam")
    assert not tab.editors["local_momentum"].isVisible()
    for name in ("momentum", "sgd", "rmsprop"):  # torch's (and the original's) momentum users
        tab.editors["local_optimiser"].set_value(name)
        assert tab.editors["local_momentum"].isVisible()
    tab.editors["dataset"].set_value("generated_for_quadratic_minimization")
    assert tab.editors["dataset_generation_spec"].isVisible()
    assert not tab.editors["partition"].isVisible()
    tab.editors["dataset"].set_value("cifar10")
    assert not tab.editors["dataset_generation_spec"].isVisible()
    assert tab.editors["partition"].isVisible()
    assert not applies("dataset_generation_spec", {"dataset": "digits"})
    for rule in RULES:
        assert rule.name in OPTIONS and rule.depends_on in OPTIONS


def test_a_hidden_option_with_a_bad_value_is_shown_with_its_error(window):
    tab = window.config_tab
    tab.editors["client_sampling_poisson"].set_value("1.5")
    assert tab.editors["client_sampling_type"].value() == "uniform"
    assert tab.editors["client_sampling_poisson"].isVisible()
    assert "client_sampling_poisson" in tab.errors


BAD_VALUES = [("rounds", "0"), ("rounds", "abc"), ("global_lr", "-1"),
              ("number_of_local_iters", "2.5"), ("client_compressor", "randk:x"),
              ("algorithm_options", "foo:1"), ("extra_track", "nope")]


@pytest.mark.parametrize("name,text", BAD_VALUES)
def test_invalid_field_shows_the_cli_message_and_blocks_launch(window, capsys, name, text):
    tab = window.config_tab
    tab.editors[name].set_value(text)
    message = tab.errors[name]
    assert message in tab.status_line.text() and message in tab.editors[name].field.toolTip()
    assert tab.editors[name].field.property("invalid") is True
    assert cli_main([primary_flag(OPTIONS[name]), text]) == 2
    assert capsys.readouterr().err.strip() == f"error: {message}"

    assert window.launch() is None
    assert window.session.runs == []
    assert tab.status_line.text().startswith("Cannot launch: 1 invalid option")
    assert message in tab.status_line.text() and tab.status_line.property("kind") == "error"
    assert window.tabs.currentWidget() is tab

    tab.editors[name].set_value(getattr(Config(), name))
    assert name not in tab.errors and tab.status_line.property("kind") == "hint"
    assert tab.editors[name].field.property("invalid") is False


def test_seed_generate_button_draws_a_valid_new_seed(window, qtbot):
    editor = window.config_tab.editors["manual_runtime_seed"]
    assert isinstance(editor, SeedEditor)
    seeds = set()
    for _ in range(3):
        qtbot.mouseClick(editor.generate, Qt.LeftButton)
        seeds.add(window.config_tab.current_config().manual_runtime_seed)
    assert len(seeds) == 3 and all(0 <= s < 2**31 for s in seeds)


def test_device_menu_and_text_stay_in_sync(window):
    editor = window.config_tab.editors["gpu"]
    assert isinstance(editor, DeviceEditor)
    cpu = editor.device_actions["-1"]
    assert cpu.isChecked()
    cpu.setChecked(False)
    assert editor.value() == ""
    assert "--gpu" in window.config_tab.errors["gpu"]
    cpu.setChecked(True)
    assert editor.value() == "-1"
    editor.set_value("cpu")
    assert cpu.isChecked() and not window.config_tab.errors


def test_save_and_load_json(window, tmp_path):
    config = dataclasses.replace(Config(), rounds=3, algorithm="diana")
    config.save_json(tmp_path / "c.json")
    window.config_tab.load_json(str(tmp_path / "c.json"))
    assert window.config_tab.current_config() == config
    (tmp_path / "bad.json").write_text('{"no_such_option": 1}')
    window.config_tab.load_json(str(tmp_path / "bad.json"))
    assert "unknown option 'no_such_option'" in window.config_tab.status_line.text()


def settle():
    """Let pending layout requests run (no waiting: only events already posted)."""
    QApplication.sendPostedEvents()
    QApplication.processEvents()


def test_range_errors_show_as_you_type_even_when_another_field_is_bad(window, qtbot):
    tab = window.config_tab
    tab.editors["rounds"].set_value("abc")  # a type error elsewhere...
    field = tab.editors["local_lr"].edit
    field.selectAll()
    qtbot.keyClicks(field, "-0.5")  # ...does not hide a range error typed now
    assert tab.errors["local_lr"] == "--local-lr: invalid value -0.5; must be > 0"
    assert field.property("invalid") is True
    assert "invalid value 'abc'; expected int" in tab.errors["rounds"]


def test_error_messages_do_not_move_the_fields(window, qtbot):
    tab = window.config_tab
    settle()
    visible = [e for e in tab.editors.values() if e.isVisible()]
    before = {e.name: e.mapTo(tab, QPoint(0, 0)) for e in visible}
    field = tab.editors["local_lr"].edit
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "-1")
    tab.editors["rounds"].set_value("0")
    settle()
    assert {e.name: e.mapTo(tab, QPoint(0, 0)) for e in visible} == before
    assert tab.errors["local_lr"] in tab.status_line.toolTip()  # the focused field's message
    assert tab.status_line.isVisible()


def test_quadratic_dataset_brings_a_model_and_loss_that_fit(window):
    from fl_pytorch.engine.simulation import build_simulation
    tab = window.config_tab
    tab.editors["dataset"].set_value("generated_for_quadratic_minimization")
    assert (tab.editors["model"].value(), tab.editors["loss"].value()) == ("linear", "mse")
    assert tab.editors["metric"].value() == "dist_to_solution"
    assert "model" in tab.status_line.text()  # the change is said, not silent
    build_simulation(tab.current_config())  # the engine's own fit check accepts it
    tab.editors["dataset"].set_value("digits")
    assert (tab.editors["model"].value(), tab.editors["loss"].value()) == \
        ("small_cnn", "crossentropy")
    build_simulation(tab.current_config().replace(rounds=1))
    tab.editors["model"].set_value("mlp")  # the user's own fitting choice stays...
    tab.editors["dataset"].set_value("mnist")  # ...when the new dataset has the same task
    assert tab.editors["model"].value() == "mlp"


@pytest.mark.parametrize("dataset", ["digits", "generated_for_quadratic_minimization", "libsvm",
                                     "a1a"])
def test_companion_choices_fit_the_engine(tmp_path, dataset):
    from fl_pytorch.engine.simulation import build_simulation
    from gui.fit_rules import FITTING, dataset_task
    data_path = "data"
    if dataset in ("libsvm", "a1a"):  # a tiny LIBSVM file (binary labels -1/+1)
        rows = [f"{1 if i % 2 else -1} 1:{i / 10} 3:{1 - i / 10}" for i in range(40)]
        path = tmp_path / ("a1a" if dataset == "a1a" else "tiny.svm")
        for file in (path, tmp_path / "a1a.t"):  # a1a comes with its test split
            file.write_text("\n".join(rows) + "\n")
        data_path = str(path if dataset == "libsvm" else tmp_path)
    config = Config(dataset=dataset, data_path=data_path, offline=True, rounds=1,
                    **FITTING[dataset_task(dataset)])
    simulation = build_simulation(config)  # the engine's own check: model and loss fit
    assert simulation.dataset.task == dataset_task(dataset)
