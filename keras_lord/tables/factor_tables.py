import keyword
import re
from collections.abc import Mapping

import keras
import numpy as np
from keras import ops

from keras_lord import backend
from keras_lord.data.contract import CLASS_ID_KEY, SAMPLE_ID_KEY
from keras_lord.layers.shared_class_embedding import SharedClassEmbedding
from keras_lord.regularizers import get_content_regularizer
from keras_lord.utils.deprecation import moved_names

CLASS_FACTOR, CONTENT_FACTOR = "class", "content"
# The name of each factor's table layer, so its weights' paths are
# "<factor>_embedding/embeddings" (what `keras_lord.distribution.layout_map` places).
FACTOR_TABLE_NAMES = "{factor}_embedding"
# Attribute names that would collide with the keys of the inputs and outputs.
_RESERVED_NAMES = {CLASS_FACTOR, CONTENT_FACTOR, "image", "sample"}


def check_attributes(attributes: Mapping[str, int] | None) -> dict:
    """Validates `{attribute name: number of values}` of a multi-attribute model.

    Args:
        attributes: the mapping, or `None` for none.

    Returns:
        A plain dict of `int` counts (empty for `None`).

    Raises:
        ValueError: for a name that is not a Python identifier or is reserved, or a count
            below 2.

    """
    checked = {}
    for name, count in dict(attributes or {}).items():
        if name in _RESERVED_NAMES:
            raise ValueError(
                f"The attribute name {name!r} is reserved; choose another "
                f"(reserved: {sorted(_RESERVED_NAMES)})."
            )
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(
                f"Attribute names must be Python identifiers (they name the input "
                f"`<name>_id`); got {name!r}."
            )
        if isinstance(count, bool) or int(count) != count or count < 2:
            raise ValueError(
                f"Attribute {name!r} needs a whole number of values, at least 2; got {count!r}."
            )
        checked[name] = int(count)
    return checked


def _check_row_split(row_counts: dict) -> None:
    """Raises if the distribution set splits a table's rows unevenly over its devices.

    JAX places an array split over `k` devices only if each gets the same number of rows;
    its own error names neither the table nor a way out.
    """
    distribution = keras.distribution.distribution()
    if distribution is None:
        return
    mesh = distribution.device_mesh
    for factor, rows in row_counts.items():
        layout = distribution.get_tensor_layout(
            f"{FACTOR_TABLE_NAMES.format(factor=factor)}/embeddings"
        )
        if layout is None or not layout.axes or layout.axes[0] is None:
            continue
        shards = mesh.shape[list(mesh.axis_names).index(layout.axes[0])]
        if rows % shards:
            raise ValueError(
                f"The {factor} table's {rows} rows do not split evenly over the {shards} "
                f"devices of the mesh axis {layout.axes[0]!r} its layout splits them over. "
                f"Keep that table whole on every device (`--distribution data`, or leave "
                f"{factor!r} out of `layout_map(tables=...)`), or use a number of devices "
                f"that divides {rows}."
            )


@keras.saving.register_keras_serializable(package="keras_lord")
class FactorTables(keras.layers.Layer):
    """LORD's latent tables, one per factor, behind one interface.

    A factor is a named table of codes (`"class"`: one per class; `"content"`: one per
    training image; a multi-attribute model adds one per attribute) indexed by one integer
    input (`"class_id"`, `"sample_id"`, `"<attribute>_id"`, ...). The factors named in
    `class_parts` add up to the class code the generator takes: a multi-attribute model's
    class code is its class row plus one row per attribute, so changing one attribute
    moves the class code by a fixed shift and leaves the other parts as they are.

    This layer owns everything that touches the tables: the lookup (with the content noise
    and penalty of the table's layer), gathering the batch's rows outside of autodiff for
    the row-wise step, pairing the rows' gradients with their tables for
    `RowwiseAdam.apply_rows`, the targets of stage 2, the id ranges the training input is
    checked against, and the pattern by which the optimiser tells the tables' variables from
    the networks'. A new factor or another sharding layout is a change here only.

    Args:
        tables: `{factor name: embedding layer}`, each a layer with an `embeddings`
            variable of shape `(rows, dim)` called as `layer(ids, training=, codes=)`
            (`SharedClassEmbedding`, `NoisyContentEmbedding`).
        id_keys: `{factor name: input key of its ids}`.
        class_parts: the factors whose codes are summed into `"class_code"`; `None`
            means `("class",)` where there is a class table.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: a dict with the id vector of every factor; where it also holds a factor's
            already gathered rows under `"<factor>_code"`, those replace the lookup.
        training: adds each table's training noise.

    Returns:
        `{"<factor>_code": (batch, dim)}` for every factor; with several `class_parts`,
        `"class_code"` is their sum.

    Raises:
        ValueError: for tables without id keys, or class parts that are not tables.

    Example:
    ```python
    tables = keras_lord.tables.FactorTables.for_lord(
        num_classes=10, num_samples=500, class_dim=256, content_dim=128
    )
    codes = tables({"class_id": np.array([0, 3]), "sample_id": np.array([7, 8])})
    ```

    """

    def __init__(self, tables: dict, id_keys: dict, class_parts: tuple | None = None, **kwargs):
        super().__init__(**kwargs)
        if set(tables) != set(id_keys):
            raise ValueError(
                f"Every table needs an id key: tables {sorted(tables)}, id keys {sorted(id_keys)}."
            )
        if class_parts is None:
            class_parts = (CLASS_FACTOR,) if CLASS_FACTOR in tables else ()
        unknown = [part for part in class_parts if part not in tables]
        if unknown:
            raise ValueError(f"Class parts {unknown} are not tables ({sorted(tables)}).")
        self.tables = dict(tables)
        self.id_keys = dict(id_keys)
        self.class_parts = tuple(class_parts)
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
        attributes: dict | None = None,
        content_regularization: str = "noise",
        **kwargs,
    ) -> "FactorTables":
        """The tables of LORD: class, noisy and penalised content, and any attributes.

        Args:
            num_classes: rows of the class table.
            num_samples: rows of the content table (training images).
            class_dim: size of a class code.
            content_dim: size of a content code.
            noise_std: std of the fixed noise on content codes in training.
            content_decay: weight of the content codes' L2 activity penalty.
            seed: seed of the class table; the content table uses `seed + 1`, the
                attributes `seed + 2`, `seed + 3`, ... in order.
            attributes: `{name: number of values}`: one shared table of `class_dim` codes
                per attribute, indexed by the input `"<name>_id"` and added to the class
                code (see `check_attributes`).
            content_regularization: the name of a registered `ContentRegularizer`
                (`keras_lord.regularizers`): `"noise"` (LORD: `NoisyContentEmbedding`,
                fixed `noise_std` and an L2 penalty of weight `content_decay`), `"kl"` (the
                ablation: `VariationalContentEmbedding`, learned variances and a KL term
                of weight `content_decay`; `noise_std` is unused) or `"none"`.
            **kwargs: standard `keras.layers.Layer` arguments.

        Returns:
            The `FactorTables`.

        Raises:
            ValueError: for bad attribute names or counts, another regularisation, or a
                table whose rows the distribution set splits unevenly over its devices.

        """
        attributes = check_attributes(attributes)
        _check_row_split({CLASS_FACTOR: num_classes, CONTENT_FACTOR: num_samples, **attributes})
        regularizer = get_content_regularizer(content_regularization)
        noise_std, content_decay = regularizer.strengths(noise_std, content_decay)
        content_table = regularizer.content_table(
            num_samples,
            content_dim,
            noise_std,
            content_decay,
            seed=None if seed is None else seed + 1,
        )
        attribute_tables = {
            name: SharedClassEmbedding(
                count,
                class_dim,
                seed=None if seed is None else seed + 2 + index,
                dtype="float32",
                name=FACTOR_TABLE_NAMES.format(factor=name),
            )
            for index, (name, count) in enumerate(attributes.items())
        }
        return cls(
            tables={
                "class": SharedClassEmbedding(
                    num_classes,
                    class_dim,
                    seed=seed,
                    dtype="float32",
                    name=FACTOR_TABLE_NAMES.format(factor=CLASS_FACTOR),
                ),
                CONTENT_FACTOR: content_table,
                **attribute_tables,
            },
            id_keys={
                CLASS_FACTOR: CLASS_ID_KEY,
                CONTENT_FACTOR: SAMPLE_ID_KEY,
                **{name: attribute_id_key(name) for name in attributes},
            },
            class_parts=(CLASS_FACTOR, *attributes),
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
    def attributes(self) -> dict:
        """`{name: number of values}` of the class parts other than the class table."""
        return {
            name: self.tables[name].embeddings.shape[0]
            for name in self.class_parts
            if name != CLASS_FACTOR
        }

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
        codes = {
            self.code_key(name): table(
                inputs[self.id_keys[name]],
                training=training,
                codes=inputs.get(self.code_key(name)),
            )
            for name, table in self.tables.items()
        }
        return self._with_class_code(codes)

    def class_code(self, inputs: dict, training: bool = False):
        """The class code of a batch from its class parts alone (no content lookup).

        Args:
            inputs: a batch with the id vector of every class part; gathered rows under
                `"<part>_code"` replace the lookups, as in `call`.
            training: passed to the tables.

        Returns:
            `(batch, class_dim)`: the sum of the class parts' codes.

        """
        parts = [
            self.tables[part](
                inputs[self.id_keys[part]],
                training=training,
                codes=inputs.get(self.code_key(part)),
            )
            for part in self.class_parts
        ]
        return sum(parts[1:], parts[0])

    def _with_class_code(self, codes: dict) -> dict:
        if len(self.class_parts) > 1:
            parts = [codes[self.code_key(part)] for part in self.class_parts]
            codes[self.code_key(CLASS_FACTOR)] = sum(parts[1:], parts[0])
        return codes

    def codes(self, inputs: dict) -> dict:
        """The noise-free codes of a batch, with the class code summed from its parts.

        Args:
            inputs: a batch with the id vector of every factor.

        Returns:
            `{"<factor>_code": (batch, dim)}` as `call` returns them without noise (the
            targets of stage 2).

        """
        codes = self.gather(inputs)
        for name, table in self.tables.items():
            codes[self.code_key(name)] = _clean(table, codes[self.code_key(name)])
        return self._with_class_code(codes)

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

    def class_codes(self, inputs: dict) -> np.ndarray:
        """The class codes of samples as numpy: the sum of their class parts' rows.

        Args:
            inputs: the id vector of every class part (`"class_id"` and, with attributes,
                `"<attribute>_id"`).

        Returns:
            `(N, class_dim)` float32 codes.

        Raises:
            ValueError: if an id vector of a class part is missing.

        """
        missing = [
            self.id_keys[part] for part in self.class_parts if self.id_keys[part] not in inputs
        ]
        if missing:
            raise ValueError(f"The class code needs the ids {missing} as well.")
        return sum(self.rows(part, inputs[self.id_keys[part]]) for part in self.class_parts)

    def rows(self, factor: str, ids) -> np.ndarray:
        """Rows of one table as numpy, gathered before the copy to the host.

        Args:
            factor: the factor name (`"class"`, `"content"`).
            ids: the row ids.

        Returns:
            `(len(ids), dim)` float32 rows.

        """
        ids = np.asarray(ids, "int32")
        table = self.tables[factor]
        return ops.convert_to_numpy(_clean(table, backend.gather_rows(table.embeddings, ids)))

    def table(self, factor: str) -> np.ndarray:
        """A whole table as numpy (e.g. the content codes, for a leakage probe).

        Args:
            factor: the factor name.

        Returns:
            `(rows, dim)` float32.

        """
        table = self.tables[factor]
        return ops.convert_to_numpy(_clean(table, table.embeddings))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "tables": {
                    name: keras.layers.serialize(table) for name, table in self.tables.items()
                },
                "id_keys": dict(self.id_keys),
                "class_parts": list(self.class_parts),
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["tables"] = {
            name: keras.layers.deserialize(table) for name, table in config["tables"].items()
        }
        if config.get("class_parts") is not None:
            config["class_parts"] = tuple(config["class_parts"])
        return cls(**config)


def _clean(table, rows):
    # A variational table's rows hold means and log-variances; its codes are the means.
    return table.clean_codes(rows) if hasattr(table, "clean_codes") else rows


def attribute_id_key(name: str) -> str:
    """The input key of an attribute's ids (`"<name>_id"`)."""
    return f"{name}_id"


__getattr__ = moved_names(
    __name__, {"CONTENT_REGULARIZATIONS": ("keras_lord.regularizers", "CONTENT_REGULARIZERS")}
)
