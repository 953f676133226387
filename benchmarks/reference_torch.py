"""The reference's stage-1 training step, written in PyTorch, as a baseline for timings.

The authors' PyTorch port of LORD is the figure keras-lord is measured against (about 55
images/s for stage 1 of the `small` preset at batch 64 on the project's 2-core CPU). Its
code is not part of this project; this module builds the same computation from the facts
in the design notes, so that it can be timed beside keras-lord in one run, on any machine
PyTorch runs on (the project's CPU, or a GPU):

* generator: content code -> 3 Linear + LeakyReLU -> reshape -> n x [nearest upsample x2,
  Conv 3x3, LeakyReLU, AdaIN from a per-layer Linear of the class code] -> Conv 5x5 to 64
  -> LeakyReLU -> Conv 7x7 to the image channels -> sigmoid; NCHW, PyTorch's defaults;
* class and content tables as dense `nn.Embedding`s, Gaussian noise (std 1) on the content
  code and an L2 penalty on it;
* torchvision's VGG16 layout, frozen (random weights: the timing does not depend on them),
  feeding L1 distances of 5 feature layers plus a pixel L1 term;
* one `torch.optim.Adam` (betas 0.5, 0.999) with the networks at 3e-4 and the tables at
  3e-3, so every table row and moment is updated every step, and a per-step cosine decay.

    python benchmarks/reference_torch.py --preset small --batch-size 64
    python benchmarks/reference_torch.py --preset paper --device cuda

Prints JSON with the median step time and images per second. `versus_reference.py` times
this step and keras-lord's alternately in one run.
"""

import argparse
import json
import math
import statistics
import time

import torch
from torch import nn
from torch.nn import functional

VGG16_LAYOUT = (64, 64, "pool", 128, 128, "pool", 256, 256, 256, "pool", 512, 512, 512, "pool")
# Indices of VGG16 convolutions whose ReLU output the loss compares (block1_conv2,
# block2_conv2, block3_conv2, block4_conv3), plus the last pooling (block5_pool).
TAPPED_CONVOLUTIONS = (1, 3, 5, 9)


class _Generator(nn.Module):
    def __init__(self, image_shape, adain_dim, num_adain_layers, content_dim, class_dim, slope):
        super().__init__()
        height, width, channels = image_shape
        self.initial_shape = (adain_dim, height >> num_adain_layers, width >> num_adain_layers)
        size = math.prod(self.initial_shape)
        self.content_layers = nn.ModuleList(
            [
                nn.Linear(content_dim, size // 8),
                nn.Linear(size // 8, size // 4),
                nn.Linear(size // 4, size),
            ]
        )
        self.modulations = nn.ModuleList(
            [nn.Linear(class_dim, 2 * adain_dim) for _ in range(num_adain_layers)]
        )
        self.adain_convolutions = nn.ModuleList(
            [nn.Conv2d(adain_dim, adain_dim, 3, padding=1) for _ in range(num_adain_layers)]
        )
        self.output_convolution_0 = nn.Conv2d(adain_dim, 64, 5, padding=2)
        self.output_convolution_1 = nn.Conv2d(64, channels, 7, padding=3)
        self.slope = slope

    def forward(self, content_code, class_code):
        x = content_code
        for layer in self.content_layers:
            x = functional.leaky_relu(layer(x), self.slope)
        x = x.view(-1, *self.initial_shape)
        for convolution, modulation in zip(self.adain_convolutions, self.modulations):
            x = functional.interpolate(x, scale_factor=2, mode="nearest")
            x = functional.leaky_relu(convolution(x), self.slope)
            scale, bias = modulation(class_code)[:, :, None, None].chunk(2, dim=1)
            mean = x.mean(dim=(2, 3), keepdim=True)
            variance = x.var(dim=(2, 3), keepdim=True, unbiased=False)
            x = scale * (x - mean) / torch.sqrt(variance + 1e-5) + bias
        x = functional.leaky_relu(self.output_convolution_0(x), self.slope)
        return torch.sigmoid(self.output_convolution_1(x))


class _FrozenVGG16Features(nn.Module):
    def __init__(self):
        super().__init__()
        layers, channels = [], 3
        for item in VGG16_LAYOUT:
            if item == "pool":
                layers.append(nn.MaxPool2d(2))
            else:
                layers.append(nn.Conv2d(channels, item, 3, padding=1))
                channels = item
        self.layers = nn.ModuleList(layers)
        self.requires_grad_(False)

    def forward(self, images):
        features, x, convolution_index = [], images, 0
        for layer in self.layers:
            if isinstance(layer, nn.Conv2d):
                x = functional.relu(layer(x))
                if convolution_index in TAPPED_CONVOLUTIONS:
                    features.append(x)
                convolution_index += 1
            else:
                x = layer(x)
        features.append(x)
        return features


class ReferenceLordStage1(nn.Module):
    """Stage 1 of LORD as the reference trains it: tables, generator and frozen VGG16.

    Args:
        image_shape: `(height, width, channels)`.
        adain_dim: channels of the AdaIN layers.
        num_adain_layers: number of upsampling AdaIN blocks.
        content_dim: size of a content code.
        class_dim: size of a class code.
        num_classes: rows of the class table.
        num_samples: rows of the content table.
        negative_slope: LeakyReLU slope (the reference uses PyTorch's 0.01).

    Example:
    ```python
    model = ReferenceLordStage1((32, 32, 3), 64, 3, 128, 256, 64, 10_000)
    loss = model(images, class_ids, sample_ids)  # images: (batch, 3, 32, 32) in [0, 1]
    ```

    """

    def __init__(
        self,
        image_shape,
        adain_dim,
        num_adain_layers,
        content_dim,
        class_dim,
        num_classes,
        num_samples,
        negative_slope=0.01,
    ):
        super().__init__()
        self.class_table = nn.Embedding(num_classes, class_dim)
        self.content_table = nn.Embedding(num_samples, content_dim)
        for table in (self.class_table, self.content_table):
            nn.init.uniform_(table.weight, -0.05, 0.05)
        self.generator = _Generator(
            image_shape, adain_dim, num_adain_layers, content_dim, class_dim, negative_slope
        )
        self.vgg = _FrozenVGG16Features()

    def forward(self, images, class_ids, sample_ids):
        content_code = self.content_table(sample_ids)
        noisy_content_code = content_code + torch.randn_like(content_code)
        reconstructions = self.generator(noisy_content_code, self.class_table(class_ids))
        loss = functional.l1_loss(reconstructions, images)
        with torch.no_grad():
            target_features = self.vgg(images)
        for target, output in zip(target_features, self.vgg(reconstructions)):
            loss = loss + functional.l1_loss(output, target)
        return loss + 1e-3 * (content_code**2).sum(dim=1).mean()


def build_reference_step(preset, batch_size, num_classes=64, num_samples=10_000, device="cpu"):
    """A model, a random batch and a function that runs one training step of the reference.

    Args:
        preset: a keras-lord preset dict (`keras_lord.get_preset(name)`).
        batch_size: images per step.
        num_classes: rows of the class table.
        num_samples: rows of the content table.
        device: `"cpu"` or `"cuda"`.

    Returns:
        `(model, step)`: `step()` runs one step and waits for it to finish.

    """
    torch.manual_seed(0)
    height, width, channels = preset["image_shape"]
    model = ReferenceLordStage1(
        preset["image_shape"],
        preset["adain_dim"],
        preset["num_adain_layers"],
        preset["content_dim"],
        preset["class_dim"],
        num_classes,
        num_samples,
    ).to(device)
    tables = list(model.class_table.parameters()) + list(model.content_table.parameters())
    optimizer = torch.optim.Adam(
        [
            {"params": model.generator.parameters(), "lr": 3e-4},
            {"params": tables, "lr": 3e-3},
        ],
        betas=(0.5, 0.999),
    )
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=100_000, eta_min=1e-5)
    images = torch.rand(batch_size, channels, height, width, device=device)
    class_ids = torch.randint(0, num_classes, (batch_size,), device=device)
    sample_ids = torch.randint(0, num_samples, (batch_size,), device=device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = model(images, class_ids, sample_ids)
        loss.backward()
        optimizer.step()
        schedule.step()
        # Reading the loss waits for the step on every device.
        return float(loss.detach())

    return model, step


def main():
    from keras_lord import get_preset

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="small", choices=["small", "paper"])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--table-rows", type=int, default=10_000)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    arguments = parser.parse_args()
    _, step = build_reference_step(
        get_preset(arguments.preset),
        arguments.batch_size,
        num_samples=arguments.table_rows,
        device=arguments.device,
    )
    for _ in range(arguments.warmup):
        step()
    times = []
    for _ in range(arguments.steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    result = {
        "implementation": f"reference step in PyTorch {torch.__version__}",
        "device": arguments.device,
        "threads": torch.get_num_threads(),
        "preset": arguments.preset,
        "batch_size": arguments.batch_size,
        "median_step_ms": round(median * 1000, 1),
        "images_per_second": round(arguments.batch_size / median, 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
