"""Stage-1 code sources: what each declares decides the trainer's behaviour, not its name."""

import numpy as np
import pytest
from conftest import tiny_trainer

from keras_lord.trainers.code_sources import CODE_SOURCES, TableCodes, get_code_source


def test_registered_sources_declare_what_they_allow():
    tables, semi, amortized = (get_code_source(name) for name in CODE_SOURCES.names())
    assert CODE_SOURCES.names() == ("tables", "semi_amortized", "amortized")
    assert tables.rowwise_updates and not semi.rowwise_updates and not amortized.rowwise_updates
    assert tables.content_from_table and not semi.content_from_table
    assert not amortized.has_second_stage and amortized.encoders_hold_codes()
    assert semi.has_second_stage and not semi.encoders_hold_codes()
    assert not amortized.allows_attributes and semi.allows_attributes


def test_declarations_drive_the_trainer(tiny_data):
    semi = tiny_trainer(tiny_data, stage1_codes="semi_amortized")
    semi.compile(table_updates="rowwise")
    assert semi.table_updates == "dense", "a source without row-wise updates goes dense"
    assert not semi.encoders_hold_codes()
    settings = semi.compile_settings
    with pytest.raises(ValueError, match="content table"):
        semi.start_stage2(class_content_decorrelation=1.0)
    # Refused before it changed anything: still stage 1, as compiled.
    assert semi.stage == 1 and semi.compile_settings is settings
    assert semi.objective.trains_tables and not semi.class_encoder.trainable
    amortized = tiny_trainer(tiny_data, stage1_codes="amortized")
    assert amortized.encoders_hold_codes()
    with pytest.raises(RuntimeError, match="no stage 2"):
        amortized.start_stage2()
    assert amortized.stage == 1


def test_a_new_source_is_one_class_and_one_registration(tiny_data):
    class DenseTables(TableCodes):
        """The tables of LORD, always updated densely."""

        name = "dense_tables"
        rowwise_updates = False

    CODE_SOURCES.register(DenseTables())
    try:
        trainer = tiny_trainer(tiny_data, stage1_codes="dense_tables")
        trainer.compile()
        before = trainer.tables.table("content").copy()
        trainer.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0)
        assert trainer.table_updates == "dense" and trainer.table_optimizer is None
        assert not np.array_equal(before, trainer.tables.table("content"))
        trainer.start_stage2()
        assert trainer.encoders_hold_codes()
    finally:
        CODE_SOURCES._variants.pop("dense_tables")
