"""Multi-attribute classes (the paper's appendix A.9): a class table plus attribute tables."""

import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import tiny_loss, tiny_trainer

import keras_lord
from keras_lord.data import LordData, synthetic_attributes
from keras_lord.saving import load_trainer

NUM_OBJECTS, NUM_SCHEMES, UNSEEN = 4, 3, (3, 2)  # object 3 is never seen in scheme 2


def attribute_trainer(num_classes, num_samples, **overrides):
    settings = dict(
        num_classes=num_classes,
        num_samples=num_samples,
        image_shape=(32, 32, 3),
        preset="small",
        adain_dim=8,
        content_dim=8,
        class_dim=8,
        perceptual_loss=tiny_loss(),
        attributes={"scheme": NUM_SCHEMES},
        seed=1,
    )
    settings.update(overrides)
    return keras_lord.LordTrainer(**settings)


@pytest.fixture(scope="module")
def schemed_objects():
    """4 objects x 16 views x 3 colour schemes; training sees even views, never (3, 2)."""
    data, schemes = synthetic_attributes(
        num_objects=NUM_OBJECTS, num_views=16, num_schemes=NUM_SCHEMES, seed=2
    )
    objects, views = data.class_ids, data.content_ids
    unseen_pair = (objects == UNSEEN[0]) & (schemes == UNSEEN[1])
    train = np.flatnonzero((views % 2 == 0) & ~unseen_pair)
    inputs = {
        "image": data.images[train],
        "class_id": objects[train],
        "sample_id": np.arange(len(train)),
        "scheme_id": schemes[train],
    }
    return data, schemes, inputs


@pytest.fixture(scope="module")
def attribute_lord(schemed_objects):
    _, _, inputs = schemed_objects
    trainer = tiny_trainer(
        LordData(inputs["image"], inputs["class_id"], NUM_OBJECTS),
        attributes={"scheme": NUM_SCHEMES},
        adain_dim=64,
        content_dim=32,
        class_dim=32,
    )
    trainer.compile()
    stage1 = trainer.fit(inputs, batch_size=8, epochs=30, verbose=0).history["loss"]
    trainer.start_stage2()
    trainer.fit(inputs, batch_size=8, epochs=10, verbose=0)
    return trainer, stage1


def object_colour(images, masks):
    """Mean colour of each image over its object's pixels."""
    return np.stack([image[mask].mean(0) for image, mask in zip(images, masks)])


def test_tables_sum_into_the_class_code_and_the_input_needs_every_attribute(schemed_objects):
    _, _, inputs = schemed_objects
    trainer = attribute_trainer(NUM_OBJECTS, len(inputs["image"]))
    assert trainer.attributes == {"scheme": 3}
    assert trainer.contract.keys == ("image", "class_id", "sample_id", "scheme_id")
    rows = {key: value[:5] for key, value in inputs.items()}
    codes = keras.ops.convert_to_numpy(trainer.tables(rows)["class_code"])
    expected = trainer.tables.rows("class", rows["class_id"]) + trainer.tables.rows(
        "scheme", rows["scheme_id"]
    )
    np.testing.assert_allclose(codes, expected, rtol=1e-6)
    np.testing.assert_allclose(trainer.tables.class_codes(rows), expected, rtol=1e-6)
    # The class and scheme tables are separate variables, both updated by the tables' Adam.
    assert {v.path.split("/")[-2] for v in trainer.tables.variables_of_tables} == {
        "class_embedding",
        "content_embedding",
        "scheme_embedding",
    }
    trainer.compile()
    without = {key: value for key, value in inputs.items() if key != "scheme_id"}
    with pytest.raises(ValueError, match=r"lacks \['scheme_id'\].*attribute ids"):
        trainer.fit(without, batch_size=8, epochs=1, verbose=0)
    bad = dict(inputs, scheme_id=np.full(len(inputs["image"]), 3))
    with pytest.raises(ValueError, match=r"scheme_id.*\[0, 3\)"):
        trainer.fit(bad, batch_size=8, epochs=1, verbose=0)


@pytest.mark.parametrize(
    "attributes, message",
    [
        ({"class": 2}, "reserved"),
        ({"image": 2}, "reserved"),
        ({"has gaps": 2}, "identifiers"),
        ({"smiling": 1}, "at least 2"),
        ({"smiling": 2.5}, "whole number"),
    ],
)
def test_bad_attributes_are_refused(attributes, message):
    with pytest.raises(ValueError, match=message):
        attribute_trainer(2, 10, attributes=attributes)


def test_one_step_trains_every_table_on_both_update_modes(schemed_objects):
    _, _, inputs = schemed_objects
    batch = {key: value[:8] for key, value in inputs.items()}
    for table_updates in ("rowwise", "dense"):
        trainer = attribute_trainer(NUM_OBJECTS, len(inputs["image"]))
        trainer.compile(table_updates=table_updates)
        before = {name: trainer.tables.table(name) for name in ("class", "content", "scheme")}
        trainer.fit(batch, batch_size=8, epochs=1, verbose=0, shuffle=False)
        for name, table in before.items():
            used = np.unique(batch[trainer.tables.id_keys[name]])
            moved = np.abs(trainer.tables.table(name)[used] - table[used]).max(axis=1)
            assert np.all(moved > 0), (table_updates, name)


@pytest.mark.slow
def test_changing_the_scheme_changes_the_colours_and_keeps_object_and_view(
    attribute_lord, schemed_objects
):
    trainer, stage1 = attribute_lord
    data, schemes, _ = schemed_objects
    assert stage1[-1] < 0.85 * stage1[0]
    objects, views = data.class_ids, data.content_ids
    images = data.float_images()
    scheme_colours = np.stack(
        [images[schemes == s][images[schemes == s].mean(-1) > 0.15].mean(0) for s in range(3)]
    )
    object_ratios = []
    for source in range(NUM_SCHEMES):
        held_out = np.flatnonzero((views % 2 == 1) & (schemes == source))
        for target in range(NUM_SCHEMES):
            if target == source:
                continue
            changed = trainer.change_attributes(
                data.images[held_out], {"scheme": source}, {"scheme": target}
            )
            # The same object and view in the target scheme: the exact answer.
            truth = held_out + (target - source) * (len(images) // NUM_SCHEMES)
            assert np.all(schemes[truth] == target) and np.all(objects[truth] == objects[held_out])
            masks = images[truth].mean(-1) > 0.15
            colours = object_colour(changed, masks)
            nearest = np.argmin(((colours[:, None] - scheme_colours) ** 2).sum(-1), axis=1)
            assert np.mean(nearest == target) >= 0.9, (source, target)
            error = ((changed - images[truth]) ** 2).mean((1, 2, 3))
            # The colours changed: nearer the answer than the unchanged image.
            unchanged = ((changed - images[held_out]) ** 2).mean((1, 2, 3))
            assert error.mean() < 0.7 * unchanged.mean(), (source, target)
            # Object and view kept: nearer the answer than other objects in that view.
            others = [
                (
                    (
                        changed[k]
                        - images[
                            (views == views[i]) & (schemes == target) & (objects != objects[i])
                        ]
                    )
                    ** 2
                ).mean()
                for k, i in enumerate(held_out)
            ]
            # Each pair nearer the answer; one pair's margin varies with the seed (0.41 -
            # 0.94 of the others' error in seeds 3 - 6), so the firm margin is on all pairs.
            object_ratios.append(error.mean() / np.mean(others))
            assert object_ratios[-1] < 1.0, (source, target)
            if target == UNSEEN[1]:
                # A combination training never showed: object 3 in scheme 2.
                unseen = objects[held_out] == UNSEEN[0]
                assert np.mean(nearest[unseen] == target) >= 0.9
    assert np.mean(object_ratios) < 0.8, object_ratios


@pytest.mark.slow
def test_attribute_model_generates_saves_reloads_and_refuses_bad_calls(
    attribute_lord, schemed_objects, tmp_path
):
    trainer, _ = attribute_lord
    data, _, inputs = schemed_objects
    rows = np.arange(0, len(inputs["image"]), 11)
    generated = trainer.generate(
        inputs["class_id"][rows], rows, attribute_ids={"scheme": inputs["scheme_id"][rows]}
    )
    assert generated.shape == (len(rows), 32, 32, 3)
    with pytest.raises(ValueError, match="every attribute"):
        trainer.generate(inputs["class_id"][rows], rows)
    with pytest.raises(ValueError, match="no attribute 'smiling'"):
        trainer.attribute_shift("smiling", 0, 1)
    with pytest.raises(ValueError, match=r"present values of \['scheme'\]"):
        trainer.change_attributes(data.images[:2], {}, {"scheme": 1})
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        trainer.change_attributes(data.images[:2], {"scheme": 0}, {"scheme": 5})
    shift = trainer.attribute_shift("scheme", [0, 1], 2)
    np.testing.assert_allclose(
        shift[0], trainer.tables.table("scheme")[2] - trainer.tables.table("scheme")[0]
    )

    path = tmp_path / "attributes.keras"
    trainer.save(path)
    images = data.images[1::17]
    changed = trainer.change_attributes(images, {"scheme": 0}, {"scheme": 1})
    np.save(tmp_path / "images.npy", images)
    np.save(tmp_path / "changed.npy", changed)
    # A fresh process loads the file and changes the attribute to the same images.
    script = (
        "import numpy as np, keras_lord.saving as s, sys; d = sys.argv[1]; "
        "t = s.load_trainer(d + '/attributes.keras'); "
        "assert t.attributes == {'scheme': 3}, t.attributes; "
        "out = t.change_attributes(np.load(d + '/images.npy'), {'scheme': 0}, {'scheme': 1}); "
        "np.testing.assert_allclose(out, np.load(d + '/changed.npy'), atol=1e-5)"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True)
    again = load_trainer(path)
    assert again.stage == 2
    np.testing.assert_allclose(
        again.generate(
            inputs["class_id"][rows], rows, attribute_ids={"scheme": inputs["scheme_id"][rows]}
        ),
        generated,
        atol=1e-5,
    )


def test_stage_one_cannot_change_attributes_of_images(schemed_objects):
    data, _, inputs = schemed_objects
    trainer = attribute_trainer(NUM_OBJECTS, len(inputs["image"]))
    with pytest.raises(RuntimeError, match="stage-2 encoders"):
        trainer.change_attributes(data.images[:2], {"scheme": 0}, {"scheme": 1})
    evaluation = keras_lord.callbacks.TransferEvaluation(
        data.subset(np.arange(64)), training_rows=True, lpips_network=None, num_pairs=8
    )
    trainer.compile()
    with pytest.raises(ValueError, match="attributes"):
        trainer.fit(
            {key: value[:16] for key, value in inputs.items()},
            batch_size=8,
            epochs=1,
            verbose=0,
            callbacks=[evaluation],
        )
