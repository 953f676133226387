"""`LordTrainer.compile`'s settings as one validated, serialisable record."""

import collections
import dataclasses
import math

import keras

from keras_lord.losses.target_features import TARGET_FEATURE_CACHES
from keras_lord.tables.content_initialization import check_content_initialization
from keras_lord.trainers.latent_learning_rate import AUTO
from keras_lord.trainers.optimization import TABLE_UPDATES

# Keras' own `compile` arguments, which the record keeps as Keras serialises them.
_KERAS_OBJECTS = ("metrics", "weighted_metrics")


# A command-line option that sets a field: its flag, help, value type and whether the value
# must be above 0 (else at least 0).
CommandLineOption = collections.namedtuple(
    "CommandLineOption", ["field", "flag", "help", "kind", "positive"]
)


def _setting(default, stage=None, flag=None, help="", kind=float, positive=False):
    # `stage`: the stage the setting acts in (None: both); the rest describe the option of
    # `keras-lord train` that sets it, where there is one.
    metadata = {"stage": stage, "flag": flag, "help": help, "kind": kind, "positive": positive}
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass(frozen=True)
class CompileSettings:
    """What `LordTrainer.compile` was given: optimisation of one stage, checked once.

    The trainer keeps the settings of its current stage as `trainer.compile_settings`;
    the stage objectives read them from there, saved files hold `get_config()`, and
    `keras-lord train`'s stage-2 options are made from the fields marked with a flag
    (`command_line_options`). Keras' own `compile` arguments (`optimizer`, `metrics`,
    `weighted_metrics`, `run_eagerly`, `steps_per_execution`, `jit_compile`,
    `auto_scale_loss`) are fields too; see `LordTrainer.compile`.

    Attributes:
        learning_rate: initial rate of the networks; `None` means the stage's default,
            `3e-4` in both stages (the authors' code: `1e-4` in stage 2).
        latent_learning_rate: stage 1, initial rate of the latent tables, or `"auto"` (the
            default): set at each `fit` from the updates each content code will get
            (`keras_lord.trainers.latent_learning_rate`: `0.6 / updates` within
            `[3e-3, 3e-2]`), shown by `fit` and kept as `trainer.latent_learning_rate`.
        final_learning_rate: rate at the end of the cosine decays.
        beta_1: Adam's first-moment decay (LORD uses 0.5).
        beta_2: Adam's second-moment decay.
        class_code_weight: stage 2, weight of the class encoder's MSE to the class codes.
        content_code_weight: stage 2, weight of the content encoder's MSE to the content
            codes.
        mixed_code_weight: stage 2, weight of the encoders' MSE on images generated from
            mixed codes (see `Amortization`); `0` leaves it out.
        encoder_shift: stage 2, the largest random shift in pixels of the encoders' input
            images in training (the reconstruction target stays unshifted); `0`: none.
        content_code_noise: stage 2, std of the Gaussian noise added to the content
            encoder's codes before the generator in training; `0`: none.
        class_code_sharing: stage 2, in `[0, 1]`: in training, the generator gets each
            image's class code moved this far towards the mean class code of the images
            of its class in the batch (`1`: the mean), so that what one image's pose puts
            into its class code is averaged away; `0`: none. It acts only where a batch
            holds several images of a class.
        class_content_decorrelation: stage 2, weight of a penalty on the squared
            correlations, over a batch, between the class encoder's codes and the stage-1
            content codes of the same images: content (pose) that a linear map could read
            from the class codes; `0` leaves it out.
        adversarial_weight: synthesis stage (`AdversarialSynthesis`), weight of the
            generator's non-saturating adversarial loss beside the reconstruction (about 3
            for `small` runs) and the code terms.
        r1_weight: synthesis stage, `gamma` of the discriminator's R1 penalty
            `gamma / 2 * E|grad D(x)|^2` on training images.
        r1_interval: synthesis stage, steps between R1 penalties (lazy regularisation: the
            penalty is scaled by the interval, as in StyleGAN2).
        generator_rate_factor: stage 2 and later, the generator's learning rate as a share of the
            encoders' (`learning_rate`): `1` tunes it as fast (the authors' code), `0`
            freezes it, so the class encoder must match the stage-1 generator's use of the
            class codes instead of teaching the generator to read pose from them. Below 1
            and above 0 it needs `optimizer="auto"`.
        decay_steps: length of the cosine decays in steps; `None` sets it at each `fit` to
            `epochs * steps_per_epoch`.
        table_updates: stage 1, `"rowwise"` (`RowwiseAdam`: a step updates only the rows of
            the batch, so its cost does not grow with the dataset; TensorFlow and JAX, one
            TensorFlow replica) or `"dense"` (Keras' Adam on the whole tables, as the
            authors' code: every row moves every step, on the momentum of its last visit).
            The tables' optimiser state is two float32 numbers per entry either way.
        target_feature_cache: whether `fit` on a dict of arrays computes the frozen VGG's
            features of all its images once and feeds them with the batches instead of
            passing every batch's targets through VGG16 (the same loss, faster on CPUs:
            `keras_lord.losses.target_features`). `"auto"`: on a CPU, where the features
            fit in memory (at most 2 GiB and a quarter of the machine's); `"on"`; `"off"`.
            Other inputs (datasets) always compute them.
        content_initialization: stage 1, where the content codes start at the first `fit`
            of a trainer that has not trained yet: `"pca"` (`ClassCentredPCA`: the
            principal components of each image minus its class's mean image, root mean
            square 0.3), `"random"` (LORD: uniform in +-0.05) or `"auto"` (the default):
            `"pca"` where `fit` gets the images as arrays, `"random"` for a dataset.
            `fit` says which it used (`keras_lord.tables.content_initialization`).

    Raises:
        ValueError: for a value out of range or an unknown choice, naming the field.

    Example:
    ```python
    settings = CompileSettings(mixed_code_weight=1.0)
    CompileSettings.from_config(settings.get_config()) == settings  # True
    ```

    """

    optimizer: object = "auto"
    metrics: object = None
    weighted_metrics: object = None
    run_eagerly: bool = False
    steps_per_execution: int = 1
    jit_compile: object = "auto"
    auto_scale_loss: bool = True
    learning_rate: float | None = _setting(
        None,
        flag="--encoder-lr",
        help="stage-2 learning rate (default 3e-4)",
        positive=True,
    )
    latent_learning_rate: float | str = _setting(AUTO, stage=1)
    final_learning_rate: float = 1e-5
    beta_1: float = 0.5
    beta_2: float = 0.999
    class_code_weight: float = _setting(10.0, stage=2)
    content_code_weight: float = _setting(10.0, stage=2)
    mixed_code_weight: float = _setting(
        0.0,
        stage=2,
        flag="--mixed-code-weight",
        help="stage 2: weight of the encoders' error on generated mixes of codes (default 0)",
    )
    encoder_shift: int = _setting(
        0,
        stage=2,
        flag="--encoder-shift",
        help="stage 2: random shift of the encoders' input images, in pixels (default 0)",
        kind=int,
    )
    content_code_noise: float = _setting(
        0.0,
        stage=2,
        flag="--content-code-noise",
        help="stage 2: std of noise on the content encoder's codes in training (default 0)",
    )
    class_code_sharing: float = _setting(
        0.0,
        stage=2,
        flag="--class-code-sharing",
        help="stage 2: how far the generator's class codes move to their class's mean in the "
        "batch, 0 to 1 (default 0)",
    )
    class_content_decorrelation: float = _setting(
        0.0,
        stage=2,
        flag="--class-content-decorrelation",
        help="stage 2: weight of the penalty on correlations of class codes with content "
        "codes (default 0)",
    )
    generator_rate_factor: float = _setting(
        1.0,
        stage=2,
        flag="--generator-rate-factor",
        help="stage 2: the generator's learning rate as a share of the encoders' "
        "(0: frozen; default 1)",
    )
    adversarial_weight: float = _setting(
        0.1,
        stage=3,
        flag="--adversarial-weight",
        help="synthesis stage: weight of the generator's adversarial loss (default 0.1)",
    )
    r1_weight: float = _setting(
        1.0,
        stage=3,
        flag="--r1-weight",
        help="synthesis stage: weight (gamma) of the discriminator's R1 penalty (default 1)",
    )
    r1_interval: int = _setting(16, stage=3)
    decay_steps: int | None = None
    table_updates: str = _setting("rowwise", stage=1)
    target_feature_cache: str = "auto"
    content_initialization: str = _setting(AUTO, stage=1)

    def __post_init__(self):
        check_content_initialization(self.content_initialization)
        if self.table_updates not in TABLE_UPDATES:
            raise ValueError(
                f"`table_updates` must be one of {TABLE_UPDATES}; got {self.table_updates!r}."
            )
        if self.target_feature_cache not in TARGET_FEATURE_CACHES:
            raise ValueError(
                f"`target_feature_cache` must be one of {TARGET_FEATURE_CACHES}; got "
                f"{self.target_feature_cache!r}."
            )
        interval = self.r1_interval
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ValueError(f"`r1_interval` must be a whole number >= 1; got {interval!r}.")
        shift = self.encoder_shift
        if isinstance(shift, bool) or not isinstance(shift, (int, float)) or int(shift) != shift:
            raise ValueError(f"`encoder_shift` must be a whole number of pixels; got {shift!r}.")
        if shift < 0:
            raise ValueError(f"`encoder_shift` must be >= 0; got {shift!r}.")
        object.__setattr__(self, "encoder_shift", int(shift))
        for name in (
            "content_code_noise",
            "class_code_weight",
            "content_code_weight",
            "mixed_code_weight",
            "class_code_sharing",
            "class_content_decorrelation",
            "generator_rate_factor",
            "adversarial_weight",
            "r1_weight",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not _finite(value) or value < 0:
                raise ValueError(f"`{name}` must be a finite number >= 0; got {value!r}.")
            object.__setattr__(self, name, float(value))
        if self.class_code_sharing > 1:
            raise ValueError(
                f"`class_code_sharing` must lie in [0, 1]; got {self.class_code_sharing!r}."
            )
        for name in ("learning_rate", "latent_learning_rate", "final_learning_rate"):
            value = getattr(self, name)
            if (
                isinstance(value, keras.optimizers.schedules.LearningRateSchedule)
                or (value is None and name == "learning_rate")  # the stage's default
                or (value == AUTO and name == "latent_learning_rate")
            ):
                continue
            if isinstance(value, bool) or not _finite(value) or value < 0:
                choices = ' or "auto"' if name == "latent_learning_rate" else ""
                raise ValueError(f"`{name}` must be a finite number >= 0{choices}; got {value!r}.")

    def checked_for(self, image_shape: tuple) -> "CompileSettings":
        """These settings, after the checks that depend on the images.

        Args:
            image_shape: `(height, width, channels)` of the images.

        Returns:
            `self`.

        Raises:
            ValueError: for an `encoder_shift` not smaller than the images.

        """
        height, width = image_shape[:2]
        if self.encoder_shift >= min(height, width):
            raise ValueError(
                "`encoder_shift` must be a whole number of pixels, >= 0 and smaller than the "
                f"images ({height}x{width}); got {self.encoder_shift!r}."
            )
        return self

    def replace(self, **changes) -> "CompileSettings":
        """A copy with some fields changed (and checked again)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_options(cls, options: dict, stage: int | None = None) -> "CompileSettings":
        """Settings from `compile` keyword arguments, refusing names that are not settings.

        Args:
            options: `{name: value}` of `LordTrainer.compile` arguments.
            stage: the stage they are for, to name it in the error message.

        Returns:
            The `CompileSettings`.

        Raises:
            ValueError: for an unknown name, or a value out of range.

        """
        unknown = sorted(set(options) - {field.name for field in dataclasses.fields(cls)})
        if unknown:
            which = f"stage-{stage} options" if stage else "options"
            raise ValueError(
                f"Unknown {which} {unknown}: they must be `LordTrainer.compile` arguments."
            )
        return cls(**options)

    @classmethod
    def command_line_options(cls, stage: int, shared: bool = True) -> list:
        """The options of a command line that set fields in a stage (`keras-lord train`).

        Args:
            stage: `1`, `2` or `3`.
            shared: whether to include the fields that act in every stage (the networks'
                learning rate, among stage 2's options of `keras-lord train`).

        Returns:
            A `CommandLineOption` (field, flag, help, value type, whether the value must be
            above 0) for each field with a flag that acts in `stage`.

        """
        return [
            CommandLineOption(
                field.name, *(field.metadata[key] for key in CommandLineOption._fields[1:])
            )
            for field in dataclasses.fields(cls)
            if field.metadata.get("flag")
            and field.metadata["stage"] in ((stage, None) if shared else (stage,))
        ]

    @classmethod
    def default(cls, name: str):
        """The default value of a field, e.g. for a command-line option."""
        return {field.name: field.default for field in dataclasses.fields(cls)}[name]

    def get_options(self) -> dict:
        """The settings as `LordTrainer.compile` keyword arguments."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}

    def get_config(self) -> dict:
        """The settings as JSON-serialisable `compile` keyword arguments."""
        config = self.get_options()
        if not isinstance(self.optimizer, str):
            config["optimizer"] = keras.optimizers.serialize(self.optimizer)
        for name in _KERAS_OBJECTS:
            config[name] = keras.saving.serialize_keras_object(config[name])
        return config

    @classmethod
    def from_config(cls, config: dict) -> "CompileSettings":
        """The settings of a `get_config()` dict; fields it lacks (older files) take defaults.

        Args:
            config: a dict from `get_config`.

        Returns:
            The `CompileSettings`.

        """
        config = dict(config)
        if isinstance(config.get("optimizer"), dict):
            config["optimizer"] = keras.optimizers.deserialize(config["optimizer"])
        for name in _KERAS_OBJECTS:
            if config.get(name) is not None:
                config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls.from_options(config)


def _finite(value) -> bool:
    try:
        return math.isfinite(value)
    except TypeError:
        return False
