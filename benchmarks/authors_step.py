"""The authors' own stage-1 training step, built from a checkout of their PyTorch code.

    git clone https://github.com/avivga/lord-pytorch /tmp/lord-pytorch
    python benchmarks/versus_reference.py --authors-checkout /tmp/lord-pytorch

Imports `LatentModel` and `VGGDistance` from the checkout's `model/modules.py` (nothing of
their code is copied here) and runs the step of their `Lord.train_latent`: their model on a
random batch, their perceptual loss plus `content_decay` times the content penalty, one
`torch.optim.Adam` with their two parameter groups and betas, and their cosine schedule.
Two changes, both without effect on the time of a step: torchvision's VGG16 is built with
random weights (their code asks for the ImageNet download, which machines without internet
cannot make), and it is frozen as keras-lord's is (their `train_latent` leaves it trainable
though the optimiser never updates it, so autodiff also computes its weight gradients;
`freeze_vgg=False` times that). Needs PyTorch and torchvision.
"""

import contextlib
import os
import sys


@contextlib.contextmanager
def _vgg16_without_download():
    import torchvision

    original = torchvision.models.vgg16

    def random_vgg16(pretrained=False, **kwargs):
        kwargs.pop("weights", None)
        return original(weights=None, **kwargs)

    torchvision.models.vgg16 = random_vgg16
    try:
        yield
    finally:
        torchvision.models.vgg16 = original


def _authors_modules(checkout):
    modules = os.path.join(checkout, "model", "modules.py")
    if not os.path.isfile(modules):
        raise FileNotFoundError(
            f"{modules} not found: --authors-checkout must be a checkout of "
            "https://github.com/avivga/lord-pytorch (the folder holding model/modules.py)."
        )
    sys.path.insert(0, os.path.abspath(checkout))
    from model import modules

    return modules


def build_authors_step(
    checkout,
    preset,
    batch_size,
    num_classes=64,
    num_samples=10_000,
    device="cpu",
    freeze_vgg=True,
):
    """The authors' model and a function that runs one step of their stage-1 training.

    Args:
        checkout: folder of a checkout of `avivga/lord-pytorch`.
        preset: a keras-lord preset dict (`keras_lord.get_preset(name)`): image shape,
            code sizes and AdaIN layers; the loss layers, decay and learning rates are
            the authors' `base_config`.
        batch_size: images per step.
        num_classes: rows of the class table.
        num_samples: rows of the content table.
        device: `"cpu"` or `"cuda"`.
        freeze_vgg: stop autodiff at VGG16's weights, as keras-lord does.

    Returns:
        `(model, step)`: `step()` runs one step and waits for it to finish.

    Raises:
        FileNotFoundError: if `checkout` holds no `model/modules.py`.

    """
    import itertools

    import torch

    modules = _authors_modules(checkout)
    torch.manual_seed(0)
    height, width, channels = preset["image_shape"]
    # The authors' base_config, with keras-lord's preset sizes.
    config = {
        "img_shape": (height, width, channels),
        "n_imgs": num_samples,
        "n_classes": num_classes,
        "content_dim": preset["content_dim"],
        "class_dim": preset["class_dim"],
        "content_std": preset.get("noise_std", 1.0),
        "content_decay": 1e-4,
        "n_adain_layers": preset["num_adain_layers"],
        "adain_dim": preset["adain_dim"],
    }
    model = modules.LatentModel(config)
    model.init()
    model.to(device)
    with _vgg16_without_download():
        criterion = modules.VGGDistance([2, 7, 12, 21, 30]).to(device)
    if freeze_vgg:
        criterion.requires_grad_(False)
    optimizer = torch.optim.Adam(
        [
            {
                "params": itertools.chain(
                    model.modulation.parameters(), model.generator.parameters()
                ),
                "lr": 3e-4,
            },
            {
                "params": itertools.chain(
                    model.content_embedding.parameters(), model.class_embedding.parameters()
                ),
                "lr": 3e-3,
            },
        ],
        betas=(0.5, 0.999),
    )
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=100_000, eta_min=1e-5)
    images = torch.rand(batch_size, channels, height, width, device=device)
    class_ids = torch.randint(0, num_classes, (batch_size,), device=device)
    sample_ids = torch.randint(0, num_samples, (batch_size,), device=device)
    model.train()

    def step():
        optimizer.zero_grad()
        out = model(sample_ids, class_ids)
        content_penalty = torch.sum(out["content_code"] ** 2, dim=1).mean()
        loss = criterion(out["img"], images) + config["content_decay"] * content_penalty
        loss.backward()
        optimizer.step()
        schedule.step()
        return float(loss.detach())

    return model, step
