import os

import keras
import numpy as np

from keras_lord.data.pixels import unit_float, unit_float_tensor
from keras_lord.data.validation import validate_images
from keras_lord.models.lord_encoder import LordEncoder
from keras_lord.models.lord_generator import (
    LordGenerator,
    check_generator_memory,
    check_image_shape,
)
from keras_lord.presets import get_preset
from keras_lord.translation import get_translation_method, optimize_codes, refine_class_codes
from keras_lord.utils.deprecation import moved_names
from keras_lord.utils.files import atomic_keras_save
from keras_lord.utils.quiet_predict import predict_quietly


@keras.saving.register_keras_serializable(package="keras_lord")
class LordModel(keras.Model):
    """A trained LORD model for inference: the generator and the two encoders, nothing else.

    This is what `keras_lord.load` returns and what `LordTrainer` trains (`trainer.model`).
    It holds no latent tables, no optimiser state and no frozen VGG, so a saved file is as
    small as the networks (see `docs/architecture.md`). It decomposes images into a class
    code and a content code and renders any combination of the two.

    Args:
        generator: the `LordGenerator`.
        class_encoder: the stage-2 class encoder, a `LordEncoder` with `code_dim` equal to
            the generator's `class_dim`.
        content_encoder: the stage-2 content encoder (`code_dim`: the generator's
            `content_dim`).
        encoders_trained: whether stage 2 has trained the encoders; before that,
            `encode_class`, `encode_content` and `translate(method="encoders")` refuse to
            run, and `optimize_codes` is the way to codes of new images.
        **kwargs: standard `keras.Model` arguments such as `name`.

    Call arguments:
        inputs: a dict with `"class_code"` and `"content_code"`, or with `"image"` (the
            codes are then predicted by the encoders); given codes take precedence.
        training: training mode of the networks.

    Returns:
        `{"image", "class_code", "content_code"}`: images `(batch,) + image_shape` in
        `[0, 1]` and the codes they were generated from.

    Example:
    ```python
    model = keras_lord.load("runs/faces")   # a LordModel
    mixed = model.translate(identity_images, pose_images)
    codes = model.encode_content(pose_images)
    ```

    """

    def __init__(
        self,
        generator: LordGenerator,
        class_encoder: LordEncoder,
        content_encoder: LordEncoder,
        encoders_trained: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if class_encoder.code_dim != generator.class_dim:
            raise ValueError(
                f"The class encoder gives codes of size {class_encoder.code_dim}; the "
                f"generator takes class codes of size {generator.class_dim}."
            )
        if content_encoder.code_dim != generator.content_dim:
            raise ValueError(
                f"The content encoder gives codes of size {content_encoder.code_dim}; the "
                f"generator takes content codes of size {generator.content_dim}."
            )
        self.generator = generator
        self.class_encoder = class_encoder
        self.content_encoder = content_encoder
        self.encoders_trained = bool(encoders_trained)
        self.built = True

    @classmethod
    def from_preset(cls, preset: str | dict, **settings) -> "LordModel":
        """Builds an untrained model of a preset's sizes, some replaced.

        Args:
            preset: a name of `keras_lord.PRESETS` or such a dict of sizes.
            **settings: `from_settings` arguments, replacing the preset's.

        Returns:
            The `LordModel`, untrained.

        Raises:
            ValueError: for an unknown preset, an image shape the generator cannot
                produce, or one whose generator needs more memory than the machine has
                (`check_generator_memory`).

        Example:
        ```python
        model = keras_lord.LordModel.from_preset("small", image_shape=(64, 64, 3))
        ```

        """
        sizes = dict(get_preset(preset) if isinstance(preset, str) else preset)
        sizes.pop("noise_std", None)
        sizes.update(settings)
        sizes["image_shape"] = check_image_shape(
            sizes["image_shape"], int(sizes["num_adain_layers"])
        )
        for key in ("content_dim", "class_dim", "adain_dim", "num_adain_layers"):
            sizes[key] = int(sizes[key])
        check_generator_memory(
            sizes["image_shape"],
            sizes["content_dim"],
            sizes["adain_dim"],
            sizes["num_adain_layers"],
        )
        return cls.from_settings(**sizes)

    @classmethod
    def from_settings(
        cls,
        image_shape: tuple,
        content_dim: int,
        class_dim: int,
        adain_dim: int,
        num_adain_layers: int,
        negative_slope: float = 0.01,
        adain_epsilon: float = 1e-5,
        seed: int | None = None,
        dtype: str | keras.DTypePolicy | None = None,
        **kwargs,
    ) -> "LordModel":
        """Builds the three networks of LORD from their sizes.

        Args:
            image_shape: `(height, width, channels)`.
            content_dim: size of a content code.
            class_dim: size of a class code.
            adain_dim: channels of the generator's AdaIN blocks.
            num_adain_layers: number of AdaIN blocks.
            negative_slope: LeakyReLU slope of all networks.
            adain_epsilon: AdaIN variance epsilon.
            seed: seed of the initial weights (the encoders use `seed + 2` and `seed + 3`).
            dtype: dtype policy of the networks (e.g. `"mixed_bfloat16"`).
            **kwargs: other `LordModel` arguments.

        Returns:
            The `LordModel`, untrained.

        """

        def offset(value):
            return None if seed is None else seed + value

        generator = LordGenerator(
            image_shape=image_shape,
            content_dim=content_dim,
            class_dim=class_dim,
            adain_dim=adain_dim,
            num_adain_layers=num_adain_layers,
            negative_slope=negative_slope,
            adain_epsilon=adain_epsilon,
            seed=seed,
            dtype=dtype,
            name="generator",
        )
        encoders = {
            name: LordEncoder(
                generator.image_shape,
                code_dim,
                negative_slope=negative_slope,
                seed=offset(seed_offset),
                dtype=dtype,
                name=name,
            )
            for name, code_dim, seed_offset in (
                ("class_encoder", class_dim, 2),
                ("content_encoder", content_dim, 3),
            )
        }
        return cls(generator, **encoders, **kwargs)

    @property
    def image_shape(self) -> tuple:
        """`(height, width, channels)` of the images."""
        return self.generator.image_shape

    @property
    def class_dim(self) -> int:
        """Size of a class code."""
        return self.generator.class_dim

    @property
    def content_dim(self) -> int:
        """Size of a content code."""
        return self.generator.content_dim

    def call(self, inputs, training=False):
        class_codes = inputs.get("class_code")
        content_codes = inputs.get("content_code")
        if class_codes is None or content_codes is None:
            images = unit_float_tensor(inputs["image"])
            if class_codes is None:
                class_codes = self.class_encoder(images, training=training)
            if content_codes is None:
                content_codes = self.content_encoder(images, training=training)
        images = self.generator(
            {"content_code": content_codes, "class_code": class_codes}, training=training
        )
        return {"image": images, "class_code": class_codes, "content_code": content_codes}

    # ---------------------------------------------------------------- inference

    def check_images(self, images: np.ndarray, name: str = "images") -> np.ndarray:
        """Validates images for this model and returns them as float32 in `[0, 1]`.

        Args:
            images: `(N,) + image_shape` images, `uint8` or floats in `[0, 1]`.
            name: how to call them in error messages.

        Returns:
            `(N,) + image_shape` float32 images.

        Raises:
            ValueError: for a wrong shape, an empty batch or pixels out of range.
            TypeError: for another dtype.

        """
        images = validate_images(images, name)
        if tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(
                f"`{name}` have shape {tuple(images.shape[1:])}; this model takes "
                f"{self.image_shape}. Resize them first."
            )
        return unit_float(images)

    def decode(
        self, class_codes: np.ndarray, content_codes: np.ndarray, batch_size: int = 256
    ) -> np.ndarray:
        """Generates images from class and content codes.

        Args:
            class_codes: `(N, class_dim)` codes.
            content_codes: `(N, content_dim)` codes.
            batch_size: images generated per batch.

        Returns:
            `(N,) + image_shape` float32 images in `[0, 1]`.

        Raises:
            ValueError: for codes of the wrong size or mismatched counts.

        """
        class_codes = np.asarray(class_codes, dtype="float32")
        content_codes = np.asarray(content_codes, dtype="float32")
        if class_codes.shape[1:] != (self.class_dim,) or content_codes.shape[1:] != (
            self.content_dim,
        ):
            raise ValueError(
                f"Expected class codes (N, {self.class_dim}) and content codes "
                f"(N, {self.content_dim}); got {class_codes.shape} and {content_codes.shape}."
            )
        if len(class_codes) != len(content_codes):
            raise ValueError(
                f"Got {len(class_codes)} class codes but {len(content_codes)} content codes."
            )
        return predict_quietly(
            self.generator,
            {"content_code": content_codes, "class_code": class_codes},
            batch_size=batch_size,
        )

    def _encode(self, encoder, images, batch_size, checked):
        if not self.encoders_trained:
            raise RuntimeError(
                "The encoders are trained in stage 2: call `start_stage2()` and `fit` first, "
                "or recover codes by test-time optimisation with `optimize_codes(images)` "
                "(`translate(..., method='optimize')`)."
            )
        images = images if checked else self.check_images(images)
        return predict_quietly(encoder, images, batch_size=batch_size)

    def encode_class(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Predicts class codes of images with the stage-2 class encoder.

        Args:
            images: `(N,) + image_shape` images, `uint8` or floats in `[0, 1]`.
            batch_size: images encoded per batch.

        Returns:
            `(N, class_dim)` class codes.

        Raises:
            RuntimeError: before stage 2.
            ValueError: for images of the wrong shape or range.

        """
        return self._encode(self.class_encoder, images, batch_size, checked=False)

    def encode_content(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Predicts content codes of images with the stage-2 content encoder.

        Args:
            images: `(N,) + image_shape` images, `uint8` or floats in `[0, 1]`.
            batch_size: images encoded per batch.

        Returns:
            `(N, content_dim)` content codes.

        Raises:
            RuntimeError: before stage 2.
            ValueError: for images of the wrong shape or range.

        """
        return self._encode(self.content_encoder, images, batch_size, checked=False)

    def optimize_codes(
        self, images: np.ndarray, class_groups: np.ndarray | None = None, **arguments
    ) -> tuple:
        """Recovers codes of new images by optimising them against the frozen generator.

        The paper's "no second stage" inference: both codes are fitted with the stage-1
        noise and penalty while the generator stays as trained; it needs no encoders.

        Args:
            images: `(N,) + image_shape` images, `uint8` or floats in `[0, 1]`.
            class_groups: optional `(N,)` ids of images known to share a class code.
            **arguments: the other arguments of `keras_lord.translation.optimize_codes`
                (`steps`, `learning_rate`, `batch_size`, `verbose`, `perceptual_loss`,
                `noise_std`, `content_decay`, `seed`).

        Returns:
            `(class_codes, content_codes)`, each with one row per image.

        Raises:
            ValueError: for images of the wrong shape or range, or `steps < 1`.

        """
        return optimize_codes(self, images, class_groups, **arguments)

    def refine_class_codes(
        self, images: np.ndarray, class_groups: np.ndarray | None = None, **arguments
    ) -> np.ndarray:
        """Class codes of new images: the class encoder's, refined on the images themselves.

        Test-time refinement for classes never seen in training: the codes start at the
        class encoder's and are fitted to reconstruct each image with its content encoder's
        code through the frozen generator.

        Args:
            images: `(N,) + image_shape` images, `uint8` or floats in `[0, 1]`.
            class_groups: optional `(N,)` ids of images known to share a class code.
            **arguments: the other arguments of `keras_lord.translation.refine_class_codes`
                (`steps`, `learning_rate`, `batch_size`, `verbose`, `perceptual_loss`).

        Returns:
            `(N, class_dim)` class codes, one row per image.

        Raises:
            RuntimeError: before stage 2 (there are no encoders to start from).
            ValueError: for images of the wrong shape or range, or `steps < 1`.

        """
        return refine_class_codes(self, images, class_groups, **arguments)

    def translate(
        self,
        class_images: np.ndarray,
        content_images: np.ndarray,
        method: str = "encoders",
        batch_size: int = 256,
        **optimize_arguments,
    ) -> np.ndarray:
        """Renders the class of each class image with the content of each content image.

        Args:
            class_images: `(N,) + image_shape` images giving the class (identity, object).
            content_images: `(N,) + image_shape` images giving the content (pose, view); one
                of the two sets may hold a single image, which is then used for every pair.
            method: the name of a registered `TranslationMethod`
                (`keras_lord.translation`): `"encoders"` (stage 2, one forward pass),
                `"refine"` (stage 2, the class codes refined on the class images, see
                `refine_class_codes`; best for classes not seen in training) or
                `"optimize"` (test-time latent optimisation of both codes against the
                frozen generator, see `optimize_codes`; needs no stage 2).
            batch_size: images per batch.
            **optimize_arguments: passed to `refine_class_codes` with `method="refine"`,
                to `optimize_codes` with `method="optimize"`.

        Returns:
            `(N,) + image_shape` float32 images in `[0, 1]`.

        Raises:
            ValueError: for mismatched counts, wrong shapes or ranges, or an unknown method.

        """
        translation = get_translation_method(method)
        class_images = self.check_images(class_images, "class_images")
        content_images = self.check_images(content_images, "content_images")
        count = max(len(class_images), len(content_images))
        if min(len(class_images), len(content_images)) != 1 and len(class_images) != len(
            content_images
        ):
            raise ValueError(
                f"Got {len(class_images)} class images and {len(content_images)} content "
                "images; give as many of each, or a single image on one side."
            )
        class_codes, content_codes = translation.codes(
            self, class_images, content_images, batch_size, **optimize_arguments
        )
        class_codes = np.broadcast_to(class_codes, (count, self.class_dim))
        content_codes = np.broadcast_to(content_codes, (count, self.content_dim))
        return self.decode(class_codes, content_codes, batch_size)

    # ---------------------------------------------------------------- saving

    def save(self, filepath: str | os.PathLike, overwrite: bool = True, **kwargs) -> None:
        """Saves to a `.keras` file atomically: a crash never leaves a half-written file.

        Args:
            filepath: destination ending in `.keras`.
            overwrite: replace an existing file.
            **kwargs: passed to `keras.Model.save`.

        Raises:
            FileExistsError: if the file exists and `overwrite` is false.
            ValueError: if the path does not end in `.keras`.

        """
        atomic_keras_save(super().save, filepath, overwrite, **kwargs)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "generator": keras.layers.serialize(self.generator),
            "class_encoder": keras.layers.serialize(self.class_encoder),
            "content_encoder": keras.layers.serialize(self.content_encoder),
            "encoders_trained": self.encoders_trained,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "class_encoder", "content_encoder"):
            config[key] = keras.layers.deserialize(config[key])
        return cls(**config)


__getattr__ = moved_names(
    __name__, {"TRANSLATION_METHODS": ("keras_lord.translation", "TRANSLATION_METHODS")}
)
