import re

import keras
import numpy as np
from keras import ops

from keras_lord import backend
from keras_lord.data.contract import CLASS_ID_KEY, SAMPLE_ID_KEY
from keras_lord.layers.noisy_content_embedding import NoisyContentEmbedding
from keras_lord.layers.shared_class_embedding import SharedClassEmbedding


@keras.saving.register_keras_serializable(package="keras_lord")
class FactorTables(keras.layers.Layer):
    """LORD's latent tables, one per factor, behind one interface.

    A factor is a named table of codes (`"class"`: one per class; `"content"`: one per
    training image; a multi-attribute model adds one per attribute) indexed by one integer
    input (`"class_id"`, `"sample_id"`, ...). This layer owns everything that touches the
    tables: the lookup (with the content noise and penalty of the table's layer), gathering
    the batch's rows outside of autodiff for the row-wise step, pairing the rows' gradients
    with their tables for `RowwiseAdam.apply_rows`, the targets of stage 2, the id ranges
    the training input is checked against, and the pattern by which the optimiser tells the
    tables' variables from the networks'. A new factor or another sharding layout is a
    change here only.

    Args:
        tables: `{factor name: embedding layer}`, each a layer with an `embeddings`
            variable of shape `(rows, dim)` called as `layer(ids, training=, codes=)`
            (`SharedClassEmbedding`, `NoisyContentEmbedding`).
        id_keys: `{factor name: input key of its ids}`.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: a dict with the id vector of every factor; where it also holds a factor's
            already gathered rows under `"<factor>_code"`, those replace the lookup.
        training: adds each table's training noise.

    Returns:
        `{"<factor>_code": (batch, dim)}` for every factor.

    Example:
    ```python
    tables = keras_lord.tables.FactorTables.for_lord(
        num_classes=10, num_samples=500, class_dim=256, content_dim=128
    )
    codes = tables({"class_id": np.array([0, 3]), "sample_id": np.array([7, 8])})
    ```

    """

    def __init__(self, tables: dict, id_keys: dict, **kwargs):
        super().__init__(**kwargs)
        if set(tables) != set(id_keys):
            raise ValueError(
                f"Every table needs an id key: tables {sorted(tables)}, id keys {sorted(id_keys)}."
            )
        self.tables = dict(tables)
        self.id_keys = dict(id_keys)
        for table in self.tables.values():
            if not table.built:
                table.build((None,))
        self.built = True

    @classmethod
    def for_lord(
        cls,
        num_classes: int,
        num_samples: int,
        class_dim: int,
        content_dim: int,
        noise_std: float = 1.0,
        content_decay: float = 1e-3,
        seed: int | None = None,
        **kwargs,
    ) -> "FactorTables":
        """The two tables of LORD: a class table and a noisy, penalised content table.

        Args:
            num_classes: rows of the class table.
            num_samples: rows of the content table (training images).
            class_dim: size of a class code.
            content_dim: size of a content code.
            noise_std: std of the fixed noise on content codes in training.
            content_decay: weight of the content codes' L2 activity penalty.
            seed: seed of the class table; the content table uses `seed + 1`.
            **kwargs: standard `keras.layers.Layer` arguments.

        Returns:
            The `FactorTables`.

        """
        return cls(
            tables={
                "class": SharedClassEmbedding(
                    num_classes, class_dim, seed=seed, dtype="float32", name="class_embedding"
                ),
                "content": NoisyContentEmbedding(
                    num_samples,
                    content_dim,
                    noise_std=noise_std,
                    decay=content_decay,
                    seed=None if seed is None else seed + 1,
                    dtype="float32",
                    name="content_embedding",
                ),
            },
            id_keys={"class": CLASS_ID_KEY, "content": SAMPLE_ID_KEY},
            **kwargs,
        )

    @property
    def factors(self) -> tuple:
        """The factor names, in order."""
        return tuple(self.tables)

    @staticmethod
    def code_key(factor: str) -> str:
        """The key of a factor's codes in model inputs and outputs (`"<factor>_code"`)."""
        return f"{factor}_code"

    @property
    def variables_of_tables(self) -> list:
        """The `embeddings` variable of every table."""
        return [table.embeddings for table in self.tables.values()]

    @property
    def id_ranges(self) -> dict:
        """`{input key: rows}`: the range every id input must lie in."""
        return {
            self.id_keys[name]: table.embeddings.shape[0] for name, table in self.tables.items()
        }

    @property
    def variable_pattern(self) -> str:
        """A regex matching the `variable.path` of every table (for `OptimizerMap`)."""
        names = "|".join(re.escape(table.name) for table in self.tables.values())
        return rf"(.*/)?({names})/.*"

    def set_trainable(self, trainable: bool) -> None:
        """Makes the tables trainable variables (dense updates) or not (row-wise, frozen)."""
        for table in self.tables.values():
            table.trainable = trainable

    def call(self, inputs, training=False):
        return {
            self.code_key(name): table(
                inputs[self.id_keys[name]],
                training=training,
                codes=inputs.get(self.code_key(name)),
            )
            for name, table in self.tables.items()
        }

    def gather(self, inputs: dict) -> dict:
        """The batch's rows of every table, noise-free, read without copying the tables.

        Args:
            inputs: a batch with the id vector of every factor.

        Returns:
            `{"<factor>_code": (batch, dim)}`, as `call` accepts them.

        """
        return {
            self.code_key(name): backend.gather_rows(
                table.embeddings, ops.cast(inputs[self.id_keys[name]], "int32")
            )
            for name, table in self.tables.items()
        }

    def row_updates(self, inputs: dict, row_gradients: dict) -> list:
        """Pairs the gradients of gathered rows with their tables and row ids.

        Args:
            inputs: the batch the rows were gathered for.
            row_gradients: gradients keyed as `gather`'s result.

        Returns:
            `[(table_variable, row_ids, gradients)]`, as `RowwiseAdam.apply_rows` takes.

        """
        return [
            (table.embeddings, inputs[self.id_keys[name]], row_gradients[self.code_key(name)])
            for name, table in self.tables.items()
        ]

    def rows(self, factor: str, ids) -> np.ndarray:
        """Rows of one table as numpy, gathered before the copy to the host.

        Args:
            factor: the factor name (`"class"`, `"content"`).
            ids: the row ids.

        Returns:
            `(len(ids), dim)` float32 rows.

        """
        ids = np.asarray(ids, "int32")
        return ops.convert_to_numpy(backend.gather_rows(self.tables[factor].embeddings, ids))

    def table(self, factor: str) -> np.ndarray:
        """A whole table as numpy (e.g. the content codes, for a leakage probe).

        Args:
            factor: the factor name.

        Returns:
            `(rows, dim)` float32.

        """
        return ops.convert_to_numpy(self.tables[factor].embeddings)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "tables": {
                    name: keras.layers.serialize(table) for name, table in self.tables.items()
                },
                "id_keys": dict(self.id_keys),
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["tables"] = {
            name: keras.layers.deserialize(table) for name, table in config["tables"].items()
        }
        return cls(**config)
