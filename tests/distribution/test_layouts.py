import keras
import pytest
from conftest import tiny_trainer

import keras_lord


def cpu_mesh(axes=("batch", "model")):
    return keras.distribution.DeviceMesh((1, 1), axes, ["cpu:0"])


def test_the_layout_splits_the_named_tables_by_rows(tiny_data):
    layouts = keras_lord.distribution.layout_map(cpu_mesh(), tables=("content", "class"))
    trainer = tiny_trainer(tiny_data)
    for name, table in trainer.tables.tables.items():
        layout = layouts[table.embeddings.path]
        assert layout is not None, name
        assert tuple(layout.axes) == ("model", None)
    assert layouts[trainer.model.trainable_variables[0].path] is None


def test_only_the_content_table_by_default(tiny_data):
    layouts = keras_lord.distribution.layout_map(cpu_mesh())
    trainer = tiny_trainer(tiny_data)
    assert layouts[trainer.tables.tables["content"].embeddings.path] is not None
    assert layouts[trainer.tables.tables["class"].embeddings.path] is None


def test_a_mesh_without_the_model_axis_is_refused():
    with pytest.raises(ValueError, match="no axis 'model'.*'rows'"):
        keras_lord.distribution.layout_map(cpu_mesh(("batch", "rows")))
    layouts = keras_lord.distribution.layout_map(cpu_mesh(("batch", "rows")), model_axis="rows")
    assert tuple(layouts["content_embedding/embeddings"].axes) == ("rows", None)
