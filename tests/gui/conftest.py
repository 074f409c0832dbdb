"""GUI test helpers (the ``window`` fixture itself lives in tests/conftest.py)."""

SPEC = "clients:5,samples_per_client:20,variables:5,homogeneous:0,l:2,mu:1"
QUADRATIC = dict(dataset="generated_for_quadratic_minimization", dataset_generation_spec=SPEC,
                 model="linear", loss="mse", compute_type="fp64", client_sampling_type="full",
                 algorithm_options="internal_sgd:full-gradient", run_local_steps=True,
                 number_of_local_iters=2, local_lr=0.2)


def fill(window, **values):
    """Type option values into the Configuration form, as a user would."""
    for name, value in values.items():
        window.config_tab.editors[name].set_value(value)


def fill_quadratic(window, **values):
    """A small quadratic problem (the paper's eq. 3) with ``values`` on top."""
    fill(window, **{**QUADRATIC, **values})


def wait_ended(qtbot, record, timeout=60_000):
    qtbot.waitUntil(lambda: not record.active, timeout=timeout)
