"""keras-lord's FID and KID against pytorch-fid's, on the same weights and images.

    KERAS_BACKEND=tensorflow python benchmarks/fid_versus_pytorch_fid.py \\
        --torch-python /path/to/venv-with-torch/bin/python --out /tmp/fid-check

A second Python with PyTorch, torchvision and `pytorch-fid` (not keras-lord's
dependencies) builds pytorch-fid's FID Inception with random weights and batch-norm
statistics measured on the images (its published weights are a download; with `--weights PATH` a
copy of them is used instead), saves the network as the published state dict, and computes
the pool features of two sets of random images and pytorch-fid's Fréchet distance between
them. keras-lord then reads that file (`keras_lord.backbones.inception_v3`) and computes
the features and FID of the same images (and KID, which pytorch-fid lacks; the tests check
it against its definition). Prints the CPU flags and JSON: the largest feature difference
and both FIDs; exits with 1 if the FIDs differ by more than 0.1 %.
"""

import argparse
import json
import os
import subprocess
import sys

TORCH_SIDE = r"""
import sys
import numpy as np
import torch
import pytorch_fid.inception as fid_inception
from pytorch_fid.fid_score import calculate_frechet_distance

out, weights = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
captured = {}
original = torch.nn.Module.load_state_dict
if weights == "random":
    # Build pytorch-fid's network without its download: keep the Inception3 it would load.
    fid_inception.load_state_dict_from_url = lambda *args, **kwargs: None
    torch.nn.Module.load_state_dict = lambda self, state, *a, **k: captured.setdefault("net", self)
else:
    fid_inception.load_state_dict_from_url = lambda *args, **kwargs: torch.load(weights)
    def keep(self, state, *args, **kwargs):
        captured["net"] = self
        return original(self, state, *args, **kwargs)
    torch.nn.Module.load_state_dict = keep
model = fid_inception.InceptionV3([3], resize_input=True, normalize_input=True)
torch.nn.Module.load_state_dict = original
net = captured["net"]
images = np.load(f"{out}/images.npz")
if weights == "random":
    # Random convolutions shrink the signal layer by layer until the features are one
    # constant; batch-norm statistics measured on the images keep it alive.
    batch_norms = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for module in batch_norms:
            module.reset_running_stats()
            module.momentum = None
            module.weight.uniform_(0.5, 1.5)
            module.bias.normal_(0.0, 0.1)
        model.train()
        model(torch.from_numpy(images["real"]).permute(0, 3, 1, 2))
    torch.save(net.state_dict(), f"{out}/weights.pth")
model.eval()
features = {}
with torch.no_grad():
    for name in ("real", "generated"):
        batch = torch.from_numpy(images[name]).permute(0, 3, 1, 2)
        features[name] = model(batch)[0].squeeze(-1).squeeze(-1).numpy().astype("float64")
statistics = [(f.mean(0), np.cov(f, rowvar=False)) for f in features.values()]
fid = calculate_frechet_distance(*statistics[0], *statistics[1])
np.savez(f"{out}/torch_side.npz", fid=fid, **features)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torch-python", required=True, help="a Python with pytorch-fid")
    parser.add_argument("--out", default="/tmp/keras-lord-fid-check")
    parser.add_argument("--weights", default="random", help="'random' or the published file")
    parser.add_argument("--images", type=int, default=64, help="images per set (of 8)")
    parser.add_argument("--size", type=int, default=32)
    arguments = parser.parse_args()

    import numpy as np
    from compare_checkouts import cpu_flags

    from keras_lord.backbones.inception_v3 import fid_inception
    from keras_lord.data import SyntheticObjects
    from keras_lord.data.pixels import unit_float
    from keras_lord.evaluation.image_quality import (
        frechet_distance,
        inception_features,
        kernel_inception_distance,
    )

    os.makedirs(arguments.out, exist_ok=True)
    # Rendered objects, and other objects of the set drawn darker: sets that differ.
    objects = SyntheticObjects(
        num_classes=2 * arguments.images // 8,
        num_azimuths=8,
        num_elevations=1,
        image_size=arguments.size,
        seed=0,
    )
    images = unit_float(objects.data(verbose=False).images)
    real = images[: arguments.images]
    generated = (0.7 * images[arguments.images : 2 * arguments.images]).astype("float32")
    np.savez(os.path.join(arguments.out, "images.npz"), real=real, generated=generated)
    subprocess.run(
        [arguments.torch_python, "-c", TORCH_SIDE, arguments.out, arguments.weights],
        check=True,
    )
    theirs = np.load(os.path.join(arguments.out, "torch_side.npz"))
    path = (
        os.path.join(arguments.out, "weights.pth")
        if arguments.weights == "random"
        else arguments.weights
    )
    model = fid_inception(path)
    ours = {
        name: inception_features(images, model)
        for name, images in (("real", real), ("generated", generated))
    }
    difference = max(
        float(np.abs(ours[name] - theirs[name]).max()) for name in ("real", "generated")
    )
    scale = float(np.abs(theirs["real"]).max())
    kid = kernel_inception_distance(ours["real"], ours["generated"], subset_size=32, num_subsets=10)
    report = {
        "cpu_flags": cpu_flags(),
        "weights": arguments.weights,
        "images_per_set": arguments.images,
        "largest_feature_difference": difference,
        "largest_feature": scale,
        "fid_pytorch_fid": float(theirs["fid"]),
        "fid_keras_lord": frechet_distance(ours["real"], ours["generated"]),
        "kid_keras_lord": kid,
    }
    report["fid_relative_difference"] = abs(
        report["fid_keras_lord"] - report["fid_pytorch_fid"]
    ) / abs(report["fid_pytorch_fid"])
    print(json.dumps(report, indent=2))
    sys.exit(0 if report["fid_relative_difference"] < 1e-3 else 1)


if __name__ == "__main__":
    main()
