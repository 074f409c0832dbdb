"""``shakespeare_lstm``: the next-character LSTM of McMahan et al. (2017).

Also TFF's Shakespeare baseline: an 8-dimensional character embedding, two LSTM layers of 256 units
and a linear layer to the vocabulary, applied at every position. Inputs (B, T) of token ids;
outputs (B, vocab, T), the layout ``cross_entropy`` takes for sequences.
"""

from __future__ import annotations

import torch
from torch import nn

from ..data.federated import FederatedDataset
from ..errors import ConfigError
from .zoo import register_model

EMBEDDING, HIDDEN, LAYERS = 8, 256, 2


class CharLSTM(nn.Module):
    """Embedding, stacked LSTM, per-position linear decoder."""

    def __init__(self, vocab: int, hidden: int = HIDDEN):
        super().__init__()
        self.embedding = nn.Embedding(vocab, EMBEDDING)
        self.lstm = nn.LSTM(EMBEDDING, hidden, LAYERS, batch_first=True)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embedding(tokens))
        return self.decoder(out).transpose(1, 2)


@register_model("shakespeare_lstm")
def shakespeare_lstm(dataset: FederatedDataset) -> nn.Module:
    """The two-layer character LSTM for next-token datasets (shakespeare, full_shakespeare)."""
    if dataset.task != "next_token":
        raise ConfigError(f"--model: 'shakespeare_lstm' needs a next-token dataset (shakespeare, "
                          f"full_shakespeare); {dataset.name!r} is {dataset.task}")
    return CharLSTM(dataset.output_dim)
