"""Named hyperparameter sets shared by the trainer, the command line and the benchmarks."""

PRESETS = {
    # The paper's configuration (Gabbay & Hoshen, ICLR 2020), 64x64 images.
    "paper": {
        "image_shape": (64, 64, 3),
        "adain_dim": 256,
        "num_adain_layers": 4,
        "content_dim": 128,
        "class_dim": 256,
        "noise_std": 1.0,
    },
    # A narrow generator on 32x32 images: trains on a laptop CPU in minutes.
    "small": {
        "image_shape": (32, 32, 3),
        "adain_dim": 64,
        "num_adain_layers": 3,
        "content_dim": 128,
        "class_dim": 256,
        "noise_std": 1.0,
    },
}


def get_preset(name: str) -> dict:
    """Returns a copy of the hyperparameters of a named preset.

    Args:
        name: `"paper"` or `"small"`.

    Returns:
        A dict with `image_shape`, `adain_dim`, `num_adain_layers`, `content_dim`,
        `class_dim` and `noise_std`.

    Raises:
        ValueError: if the preset does not exist.

    Example:
    ```python
    keras_lord.get_preset("small")["adain_dim"]  # 64
    ```

    """
    if name not in PRESETS:
        raise ValueError(f"Unknown preset {name!r}; choose one of {sorted(PRESETS)}.")
    return dict(PRESETS[name])
