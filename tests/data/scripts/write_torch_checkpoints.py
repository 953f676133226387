"""Writes `tests/data/torch_checkpoints/`: state dicts saved by PyTorch itself, both formats.

    python tests/data/scripts/write_torch_checkpoints.py tests/data/torch_checkpoints

Needs PyTorch (any 2.x); keras-lord reads the files without it.
"""

import os
import sys

import numpy as np
import torch


def main(folder):
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Linear(5, 2)
    )
    state = module.state_dict()
    state["half"] = torch.randn(3, 2).half()
    state["transposed"] = torch.randn(4, 6).t()  # a strided view
    state["slice"] = torch.arange(20.0).reshape(4, 5)[1:, 2:]  # an offset view
    state["scalar"] = torch.tensor(3.5)
    state["shared_a"] = torch.arange(10.0)
    state["shared_b"] = state["shared_a"][2:5]  # one storage, two tensors
    os.makedirs(folder, exist_ok=True)
    torch.save(state, os.path.join(folder, "zip_format.pth"))
    torch.save(
        state, os.path.join(folder, "legacy_format.pth"), _use_new_zipfile_serialization=False
    )
    np.savez(
        os.path.join(folder, "expected.npz"), **{key: value.numpy() for key, value in state.items()}
    )


if __name__ == "__main__":
    main(sys.argv[1])
