"""The client-state store: per-client states, batched reads and writes through tables."""

import torch

from fl_pytorch.core.client_state import ClientStateStore

CPU = torch.device("cpu")


def make_store() -> ClientStateStore:
    return ClientStateStore(lambda i: {"c": torch.full((3,), float(i))})


def test_batched_writes_move_a_key_into_a_table_that_per_client_calls_see():
    store = make_store()
    store.put(5, {"c": torch.ones(3), "p": torch.arange(4)})  # per-client, before any batch
    ids = list(range(40))  # more clients than a table's first 16 rows
    store.put_many(ids, {"c": torch.arange(120.0).reshape(40, 3)})
    assert torch.equal(store.get(7, CPU)["c"], torch.tensor([21.0, 22.0, 23.0]))
    assert torch.equal(store.get(5, CPU)["p"], torch.arange(4))  # other keys untouched
    stacked = store.get_many([39, 0, 2], CPU)
    assert torch.equal(stacked["c"], torch.arange(120.0).reshape(40, 3)[[39, 0, 2]])
    assert "p" not in stacked
    ragged = store.get_many([0, 5], CPU)["p"]  # only client 5 has it: a list, None for 0
    assert ragged[0] is None and torch.equal(ragged[1], torch.arange(4))
    store.update(2, {"c": torch.zeros(3)})  # a per-client write into the table row
    assert torch.equal(store.get_many([2], CPU)["c"], torch.zeros(1, 3))
    assert sorted(i for i, _ in store.items()) == ids


def test_new_clients_start_from_the_initializer_in_batched_reads():
    store = make_store()
    store.put_many([0, 1], {"c": torch.zeros(2, 3)})
    out = store.get_many([1, 9, 4], CPU)  # 9 and 4 are new: initialized as i
    assert torch.equal(out["c"], torch.tensor([[0.0] * 3, [9.0] * 3, [4.0] * 3]))


def test_a_key_whose_shapes_differ_leaves_its_table_and_lists_come_back():
    store = make_store()
    store.put_many([0, 1], {"c": torch.zeros(2, 3)})
    store.put(1, {"c": torch.ones(5)})  # another shape: the key goes back to per-client tensors
    out = store.get_many([0, 1], CPU)["c"]
    assert isinstance(out, list) and out[0].shape == (3,) and torch.equal(out[1], torch.ones(5))
    store.put_many([0, 1], {"c": [torch.ones(2), None]})  # per-client values; None: unchanged
    assert torch.equal(store.get(0, CPU)["c"], torch.ones(2))
    assert torch.equal(store.get(1, CPU)["c"], torch.ones(5))


def test_a_whole_state_put_drops_the_table_rows_of_keys_it_lacks():
    store = make_store()
    store.put_many([0, 1], {"c": torch.zeros(2, 3), "h": torch.ones(2, 3)})
    store.put(0, {"c": torch.ones(3)})
    assert set(store.get(0, CPU)) == {"c"} and set(store.get(1, CPU)) == {"c", "h"}
