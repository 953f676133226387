"""What a `LordTrainer` renders: images of training codes, attribute edits, translations."""

import numpy as np

from keras_lord.data.validation import validate_ids
from keras_lord.tables.factor_tables import CLASS_FACTOR
from keras_lord.translation import get_translation_method


class TrainerInference:
    """The rendering methods of `LordTrainer`, from its tables and its `model`.

    Mixed into `LordTrainer`: everything here reads the trainer's `tables`, `model`,
    `objective` and settings and trains nothing. For inference alone, `trainer.model` (a
    `LordModel`) has the encoders, `decode` and `translate` without the tables.
    """

    def generate(
        self,
        class_ids: np.ndarray,
        sample_ids: np.ndarray,
        batch_size: int = 256,
        attribute_ids: dict | None = None,
    ) -> np.ndarray:
        """Generates images from the stage-1 codes of classes and training images.

        Args:
            class_ids: `(N,)` rows of the class table.
            sample_ids: `(N,)` rows of the content table.
            batch_size: images generated per batch.
            attribute_ids: with attributes, `{name: (N,) values}` for every attribute.

        Returns:
            `(N,) + image_shape` float32 images in `[0, 1]`.

        Raises:
            ValueError: for ids out of range or of different lengths, or missing or
                unknown attributes.

        """
        class_ids = validate_ids(class_ids, self.num_classes, "class_ids", len(class_ids))
        sample_ids = validate_ids(sample_ids, self.num_samples, "sample_ids", len(class_ids))
        given = dict(attribute_ids or {})
        if set(given) != set(self.attributes):
            raise ValueError(
                f"`attribute_ids` must give every attribute of this trainer, "
                f"{sorted(self.attributes)}; got {sorted(given)}."
            )
        ids = {self.tables.id_keys[CLASS_FACTOR]: class_ids}
        for name, count in self.attributes.items():
            ids[self.tables.id_keys[name]] = validate_ids(
                given[name], count, f"attribute_ids[{name!r}]", len(class_ids)
            )
        return self.model.decode(
            self.tables.class_codes(ids), self.tables.rows("content", sample_ids), batch_size
        )

    def attribute_shift(
        self, name: str, from_values: int | np.ndarray, to_values: int | np.ndarray
    ) -> np.ndarray:
        """How the class code moves when an attribute changes value.

        With the class code a sum of the class row and one row per attribute, setting
        attribute `name` from `u` to `v` adds `table[v] - table[u]` of that attribute.

        Args:
            name: the attribute.
            from_values: the current values, an int or `(N,)` ints.
            to_values: the new values, an int or `(N,)` ints.

        Returns:
            `(N, class_dim)` float32 shifts (`N = 1` for two ints).

        Raises:
            ValueError: for an unknown attribute or values out of range.

        """
        if name not in self.attributes:
            raise ValueError(
                f"This trainer has no attribute {name!r}; its attributes: "
                f"{sorted(self.attributes) or 'none'} (`LordTrainer(attributes=...)`)."
            )
        from_values, to_values = np.broadcast_arrays(
            np.atleast_1d(from_values), np.atleast_1d(to_values)
        )
        count = self.attributes[name]
        from_values = validate_ids(from_values, count, f"{name} values", len(from_values))
        to_values = validate_ids(to_values, count, f"{name} values", len(from_values))
        return self.tables.rows(name, to_values) - self.tables.rows(name, from_values)

    def change_attributes(
        self, images: np.ndarray, current: dict, target: dict, batch_size: int = 256
    ) -> np.ndarray:
        """Renders images with some attributes changed, the rest and the content kept.

        The stage-2 encoders give each image's class and content codes; the class code
        moves by `attribute_shift` for every attribute in `target`, and the generator
        renders it with the image's own content code ("this face, female"). The images
        need not be training images.

        Args:
            images: `(N,) + image_shape` images, `uint8` or floats in `[0, 1]`.
            current: `{name: value or (N,) values}`: the images' values of the attributes
                to change (an annotation, or a classifier's prediction).
            target: `{name: value or (N,) values}`: the new values.
            batch_size: images per batch.

        Returns:
            `(N,) + image_shape` float32 images in `[0, 1]`.

        Raises:
            RuntimeError: before stage 2, whose encoders this needs.
            ValueError: for bad images, unknown attributes, a target without its current
                value, or values out of range.

        """
        if not self.encoders_hold_codes():
            raise RuntimeError(
                "Changing attributes of images needs the stage-2 encoders: call "
                "`start_stage2()` and `fit` first. For training samples in stage 1, use "
                "`generate(..., attribute_ids=...)`."
            )
        lacking = sorted(set(target) - set(current))
        if lacking:
            raise ValueError(f"`current` must give the present values of {lacking} as well.")
        images = self.model.check_images(images)
        class_codes = self.model.encode_class(images, batch_size)
        for name, values in target.items():
            shift = self.attribute_shift(name, current[name], values)
            if len(shift) not in (1, len(images)):
                raise ValueError(
                    f"`{name}` values must be one value or one per image ({len(images)}); "
                    f"got {len(shift)}."
                )
            class_codes = class_codes + shift
        return self.model.decode(
            class_codes, self.model.encode_content(images, batch_size), batch_size
        )

    def translate_samples(self, class_sources: dict, content_sources: dict) -> np.ndarray:
        """Every combination of the class of some training samples and the content of others.

        The codes come from the current stage: the tables in stage 1, the encoders in
        stage 2.

        Args:
            class_sources: training inputs (`image`, `class_id`) of the class sources.
            content_sources: training inputs (`image`, `sample_id`) of the content sources.

        Returns:
            `(num_class_sources, num_content_sources) + image_shape` images.

        """
        class_codes, _ = self.objective.sample_codes(self, class_sources)
        _, content_codes = self.objective.sample_codes(self, content_sources)
        rows, columns = len(class_codes), len(content_codes)
        images = self.model.decode(
            np.repeat(class_codes, columns, axis=0), np.tile(content_codes, (rows, 1))
        )
        return images.reshape((rows, columns) + self.image_shape)

    def fitting_settings(self) -> dict:
        """The loss, noise, penalty and seed that fit codes of new images for this trainer."""
        return {
            "perceptual_loss": self.perceptual_loss,
            "noise_std": self.noise_std,
            "content_decay": self.content_decay,
            "seed": self.seed,
        }

    # `LordModel`'s inference methods, with this trainer's losses and settings as defaults.

    def decode(self, *arguments, **keywords) -> np.ndarray:
        """`LordModel.decode` of `trainer.model`."""
        return self.model.decode(*arguments, **keywords)

    def encode_class(self, *arguments, **keywords) -> np.ndarray:
        """`LordModel.encode_class` of `trainer.model`."""
        return self.model.encode_class(*arguments, **keywords)

    def encode_content(self, *arguments, **keywords) -> np.ndarray:
        """`LordModel.encode_content` of `trainer.model`."""
        return self.model.encode_content(*arguments, **keywords)

    def translate(
        self,
        class_images: np.ndarray,
        content_images: np.ndarray,
        method: str = "encoders",
        batch_size: int = 256,
        **keywords,
    ) -> np.ndarray:
        """`LordModel.translate` of `trainer.model`, with this trainer's settings.

        Test-time optimisation (`method="optimize"`) uses this trainer's perceptual loss,
        noise and penalty; refinement (`method="refine"`) its perceptual loss (each
        method's `trainer_arguments`).

        Args:
            class_images: images giving the class.
            content_images: images giving the content.
            method: a registered translation method (`keras_lord.translation`).
            batch_size: images per batch.
            **keywords: the method's own arguments.

        Returns:
            `(N,) + image_shape` float32 images in `[0, 1]`.

        """
        defaults = get_translation_method(method).trainer_arguments(self)
        return self.model.translate(
            class_images, content_images, method, batch_size, **{**defaults, **keywords}
        )

    def refine_class_codes(self, images: np.ndarray, **keywords) -> np.ndarray:
        """`LordModel.refine_class_codes` with this trainer's perceptual loss.

        Args:
            images: `(N,) + image_shape` images, `uint8` or floats in `[0, 1]`.
            **keywords: other `LordModel.refine_class_codes` arguments.

        Returns:
            `(N, class_dim)` class codes.

        """
        keywords = {"perceptual_loss": self.perceptual_loss, **keywords}
        return self.model.refine_class_codes(images, **keywords)

    def optimize_codes(self, images: np.ndarray, **keywords) -> tuple:
        """`LordModel.optimize_codes` with this trainer's perceptual loss, noise and penalty.

        Args:
            images: `(N,) + image_shape` images, `uint8` or floats in `[0, 1]`.
            **keywords: other `LordModel.optimize_codes` arguments.

        Returns:
            `(class_codes, content_codes)`.

        """
        return self.model.optimize_codes(images, **{**self.fitting_settings(), **keywords})
