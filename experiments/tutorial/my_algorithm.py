"""FedDyn as a user-defined algorithm: the worked example of TUTORIAL.md ("Add your own algorithm").

Acar et al., ICLR 2021, "Federated Learning Based on Dynamic Regularization", Algorithm 1, with
full participation. Client i keeps g_i (the linear term of its dynamic regularizer), the server
keeps h; alpha is the regularization weight:

* LOCAL_GRADIENT: gradient of f_i(y) - <g_i, y> + alpha/2 ||y - x||^2 (line 5, solved by the
  configured local steps);
* LOCAL_STATE: g_i <- g_i - alpha (y - x) (line 6); send y - x;
* SERVER_GRADIENT: h_new = h - alpha mean(y_i - x) (line 8); the new model is
  mean(y_i) - h_new / alpha (line 9), i.e. G = h_new / alpha - mean(y_i - x) with global lr 1;
* SERVER_GLOBAL_STATE: keep h_new.

The two client hooks are tensor code that works on one client or on a stack of clients alike:
marked ``@batchable``, they run batched under ``--threadpool-for-local-opt vectorized``.

Run it: ``PYTHONPATH=. python experiments/tutorial/my_algorithm.py``.
"""

import dataclasses

import torch

from fl_pytorch.extend import FEDAVG, AlgoOption, batchable, register_algorithm


def positive(text):
    value = float(text)
    if value <= 0:
        raise ValueError("alpha must be > 0")
    return value


def init_server(x0, ctx):
    return {"h": torch.zeros_like(x0)}


def init_client(client_id, x0):
    return {"g": torch.zeros_like(x0)}


@batchable
def regularized_gradient(ctx, y, work):
    return ctx.grad(y) - ctx.state["g"] + ctx.options["alpha"] * (y - ctx.x), work


@batchable
def send_change(ctx, x, y, work):
    message = {"delta": ctx.compress(y - x)}
    return message, {"g": ctx.state["g"] - ctx.options["alpha"] * (y - x)}


def new_h(agg, h, ctx):
    return h["h"] - ctx.options["alpha"] * ctx.participation_weight * agg["delta"]


def dynamic_direction(agg, h, ctx):
    return new_h(agg, h, ctx) / ctx.options["alpha"] - agg["delta"]


def keep_h(agg, h, ctx):
    return {"h": new_h(agg, h, ctx)}


FEDDYN = register_algorithm(dataclasses.replace(
    FEDAVG, name="feddyn", summary="FedAvg with dynamic regularization (tutorial example)",
    paper="Acar et al., ICLR 2021", full_participation=True,
    options={"alpha": AlgoOption(positive, 0.1, "weight of the dynamic regularizer")},
    init_server_state=init_server, init_client_state=init_client,
    local_gradient=regularized_gradient, local_state=send_change,
    server_gradient=dynamic_direction, server_global_state=keep_h,
))


def main(rounds=300, out_dir="results"):
    """Non-IID quadratic, 5 local steps: FedDyn reaches the minimizer, FedAvg drifts."""
    from fl_pytorch import Config, run
    spec = "clients:10,samples_per_client:50,variables:10,homogeneous:0,l:2,mu:1,noise:1.0"
    distances = {}
    for name, options in (("feddyn", ",alpha:1"), ("fedavg", "")):
        config = Config(algorithm=name, dataset="generated_for_quadratic_minimization",
                        dataset_generation_spec=spec, model="linear", loss="mse",
                        compute_type="fp64", client_sampling_type="full", run_local_steps=True,
                        number_of_local_iters=5, local_lr=0.1, rounds=rounds, quiet=True,
                        algorithm_options="internal_sgd:full-gradient" + options)
        result = run(config, out=f"{out_dir}/tutorial_{name}.bin")
        distances[name] = result["metrics"]["dist_to_solution"][-1]
        print(f"{name}: distance to the minimizer after {rounds} rounds = {distances[name]:.3g}")
    return distances


if __name__ == "__main__":
    main()
