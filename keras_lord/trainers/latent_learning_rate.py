"""`latent_learning_rate="auto"`: the tables' rate from the updates each content code gets.

A content code is one row of its table, updated only in the steps whose batch holds its
image: once per epoch. Adam moves a row by about its learning rate per update, whatever
the gradient's scale, so how far a content code can travel from its random start is
about `rate x updates`. The reference rate, `3e-3`, was tuned for the paper's runs, where
every code gets about 200 updates (Cars3D: 200 epochs): a reach of `0.6`. With fewer
epochs the same reach needs a larger rate, and that is the rule:

    rate = clip(0.6 / updates_per_code, 3e-3, 3e-2)

so a run of the paper's length (or longer, e.g. CelebA) keeps `3e-3` and a 20-epoch run
gets `3e-2`, the rate the demo was tuned to. The cap is there because the same rate moves
the class codes, which every batch updates: at `1e-1` and above they break (transfer MSE
3-5x worse after 15 epochs; docs/quality.md, "Faster tables, less noise, dense updates").
`benchmarks/time_to_content.py` measures how soon transfer learns content at each rate.
"""

import math

AUTO = "auto"
REFERENCE_RATE = 3e-3
# Updates per content code in the runs the reference rate was tuned on.
REFERENCE_UPDATES = 200
LARGEST_RATE = 3e-2


def updates_per_code(epochs: int, steps_per_epoch=None, batch_size=None, num_images=None):
    """How many times `fit` updates each content code.

    Args:
        epochs: the epochs of the `fit`.
        steps_per_epoch: the steps of an epoch when set apart from the data's length;
            `None` for one pass over the images per epoch.
        batch_size: images per step, with `steps_per_epoch`.
        num_images: images of the input, with `steps_per_epoch`.

    Returns:
        The expected number of updates of one content code (a float).

    """
    if steps_per_epoch and batch_size and num_images:
        return epochs * steps_per_epoch * batch_size / num_images
    return float(epochs)


def auto_latent_learning_rate(updates: float) -> float:
    """The tables' initial rate for codes updated `updates` times (see the module).

    Args:
        updates: updates per content code over the whole `fit` (`updates_per_code`).

    Returns:
        `0.6 / updates`, clipped to `[3e-3, 3e-2]`.

    Raises:
        ValueError: for a number of updates that is not positive and finite.

    Example:
    ```python
    auto_latent_learning_rate(60)  # 0.01
    auto_latent_learning_rate(400)  # 0.003, the reference rate
    ```

    """
    if isinstance(updates, bool) or not math.isfinite(updates) or updates <= 0:
        raise ValueError(f"`updates` must be a positive number; got {updates!r}.")
    rate = REFERENCE_RATE * REFERENCE_UPDATES / updates
    return min(max(rate, REFERENCE_RATE), LARGEST_RATE)


def describe(rate: float, updates: float) -> str:
    """One line saying what `"auto"` chose, for logs and the command line."""
    return (
        f"latent learning rate {rate:.2g} (auto: {updates:.0f} updates per content code; "
        f"0.6 / updates within [{REFERENCE_RATE:g}, {LARGEST_RATE:g}])"
    )
