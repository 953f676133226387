import keras
import numpy as np
import pytest

from keras_lord.tables.content_initialization import (
    CONTENT_INITIALIZATIONS,
    ClassCentredPCA,
    TableStart,
    choose_content_initialization,
)
from keras_lord.trainers.compile_settings import CompileSettings
from tests.conftest import tiny_trainer, to_numpy


def bar_images(num_classes=6, num_views=5, size=16, seed=0):
    """Each class a background colour; each view a bright bar at its own column."""
    rng = np.random.default_rng(seed)
    images, class_ids, views = [], [], []
    for label in range(num_classes):
        colour = rng.integers(0, 120, size=3)
        for view in range(num_views):
            image = np.empty((size, size, 3), "uint8")
            image[:] = colour
            column = 2 + 2 * view
            image[:, column : column + 2] = 255
            images.append(image)
            class_ids.append(label)
            views.append(view)
    return np.stack(images), np.array(class_ids), np.array(views)


def nearest_other_class_view(codes, class_ids, views):
    """The view of each code's nearest code of another class (what transfer needs)."""
    distances = np.square(codes[:, None] - codes[None]).sum(-1)
    distances[class_ids[:, None] == class_ids[None]] = np.inf
    return views[np.argmin(distances, axis=1)]


def test_pca_codes_tell_views_apart_carry_no_class_mean_and_have_the_scale():
    images, class_ids, views = bar_images()
    codes = ClassCentredPCA(scale=0.5).codes(images, class_ids, content_dim=8)
    assert codes.shape == (len(images), 8) and codes.dtype == np.float32
    np.testing.assert_allclose(np.sqrt(np.mean(np.square(codes))), 0.5, rtol=1e-4)
    for label in np.unique(class_ids):
        np.testing.assert_allclose(codes[class_ids == label].mean(0), 0.0, atol=1e-5)
    # Views share their code across classes: each finds its view in every other class.
    assert np.all(nearest_other_class_view(codes, class_ids, views) == views)
    # LORD's random start knows nothing of the view.
    random_codes = np.random.default_rng(1).uniform(-0.05, 0.05, codes.shape)
    assert np.mean(nearest_other_class_view(random_codes, class_ids, views) == views) < 0.5


def assert_same_codes(actual, desired):
    # Principal directions of equal variance are defined up to a rotation among them:
    # with every direction kept, the codes' inner products are not.
    np.testing.assert_allclose(actual @ actual.T, desired @ desired.T, atol=1e-4)


def test_pca_codes_do_not_depend_on_chunks_and_read_a_memory_map(tmp_path):
    images, class_ids, _ = bar_images(num_classes=5, num_views=7)
    whole = ClassCentredPCA().codes(images, class_ids, content_dim=35)
    np.save(tmp_path / "images.npy", images)
    mapped = np.load(tmp_path / "images.npy", mmap_mode="r")
    assert_same_codes(ClassCentredPCA(chunk=4).codes(mapped, class_ids, content_dim=35), whole)
    assert_same_codes(ClassCentredPCA().codes(images / 255.0, class_ids, content_dim=35), whole)


def test_pca_averages_large_images_down_and_fits_on_a_subset():
    images, class_ids, views = bar_images(size=16)
    large = np.repeat(np.repeat(images, 4, axis=1), 4, axis=2)  # 64x64 of 4x4 blocks
    small = ClassCentredPCA(max_side=16).codes(images, class_ids, content_dim=30)
    assert_same_codes(ClassCentredPCA(max_side=16).codes(large, class_ids, content_dim=30), small)
    subset = ClassCentredPCA(fit_images=12).codes(images, class_ids, content_dim=4)
    assert subset.shape == (len(images), 4)
    assert np.all(nearest_other_class_view(subset, class_ids, views) == views)


def test_pca_pads_codes_beyond_the_components_with_zeros():
    images, class_ids, _ = bar_images(num_classes=2, num_views=3)
    codes = ClassCentredPCA().codes(images, class_ids, content_dim=10)
    # 6 images give at most 6 components (the last 2 numerically 0: the offsets of each
    # class sum to 0); the rest of each code is padding.
    assert np.all(codes[:, 6:] == 0) and np.max(np.abs(codes[:, 4:])) < 1e-5
    np.testing.assert_allclose(np.sqrt(np.mean(np.square(codes))), 0.3, rtol=1e-4)


@pytest.mark.parametrize(
    "arguments", [{"scale": 0}, {"max_side": 0}, {"fit_images": 1.5}, {"chunk": True}]
)
def test_pca_refuses_bad_settings(arguments):
    with pytest.raises(ValueError, match=next(iter(arguments))):
        ClassCentredPCA(**arguments)


def test_choice_of_start():
    assert choose_content_initialization("auto", images_given=True).name == "pca"
    assert choose_content_initialization("auto", images_given=False).name == "random"
    assert choose_content_initialization(
        "random", images_given=False
    ) is CONTENT_INITIALIZATIONS.get("random")
    with pytest.raises(ValueError, match="streams them"):
        choose_content_initialization("pca", images_given=False)
    with pytest.raises(ValueError, match="'auto' or one of"):
        choose_content_initialization("umap", images_given=True)
    with pytest.raises(ValueError, match="content_initialization"):
        CompileSettings(content_initialization="umap")
    settings = CompileSettings(content_initialization="random")
    assert CompileSettings.from_config(settings.get_config()) == settings


class Batches(keras.utils.PyDataset):
    def __init__(self, inputs, batch_size):
        super().__init__()
        self.inputs, self.batch_size = inputs, batch_size

    def __len__(self):
        return len(self.inputs["image"]) // self.batch_size

    def __getitem__(self, index):
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return {key: value[rows] for key, value in self.inputs.items()}


def rms(trainer):
    return float(np.sqrt(np.mean(np.square(to_numpy(trainer.content_embedding.embeddings)))))


def test_first_fit_starts_the_codes_from_the_images_once(tiny_data, capsys):
    trainer = tiny_trainer(tiny_data)
    trainer.compile()
    expected = ClassCentredPCA().codes(tiny_data.images, tiny_data.class_ids, trainer.content_dim)
    trainer.fit(tiny_data.inputs(), batch_size=4, epochs=1, verbose=1)
    assert "principal components" in capsys.readouterr().out
    codes = to_numpy(trainer.content_embedding.embeddings)
    # One epoch moves each code by about the table rate (0.03) from the PCA start.
    assert np.max(np.abs(codes - expected)) < 0.1 and np.max(np.abs(expected)) > 0.3
    trainer.fit(tiny_data.inputs(), batch_size=4, epochs=1, verbose=1)
    assert "principal components" not in capsys.readouterr().out
    assert np.max(np.abs(to_numpy(trainer.content_embedding.embeddings) - codes)) < 0.1


def test_random_start_and_streamed_inputs(tiny_data, capsys):
    trainer = tiny_trainer(tiny_data)
    trainer.compile(content_initialization="random")
    trainer.fit(tiny_data.inputs(), batch_size=4, epochs=1, verbose=1)
    assert "start at random" in capsys.readouterr().out and rms(trainer) < 0.1

    streamed = tiny_trainer(tiny_data)
    streamed.compile(content_initialization="pca")
    before = to_numpy(streamed.content_embedding.embeddings)
    with pytest.raises(ValueError, match="streams them"):
        streamed.fit(Batches(tiny_data.inputs(), 4), epochs=1, verbose=0)
    np.testing.assert_array_equal(to_numpy(streamed.content_embedding.embeddings), before)
    # Started by hand from arrays, a streamed `fit` keeps those codes.
    streamed.initialize_content_codes(tiny_data.inputs(), ClassCentredPCA(scale=1.0), verbose=0)
    np.testing.assert_allclose(rms(streamed), 1.0, rtol=1e-4)
    streamed.fit(Batches(tiny_data.inputs(), 4), epochs=1, verbose=0)
    assert rms(streamed) > 0.8


def test_variational_table_starts_its_means_and_keeps_its_variances(tiny_data):
    trainer = tiny_trainer(tiny_data, content_regularization="kl")
    trainer.initialize_content_codes(tiny_data.inputs(), "pca", verbose=0)
    rows = to_numpy(trainer.content_embedding.embeddings)
    expected = ClassCentredPCA().codes(tiny_data.images, tiny_data.class_ids, trainer.content_dim)
    np.testing.assert_allclose(rows[:, : trainer.content_dim], expected, atol=1e-6)
    np.testing.assert_array_equal(rows[:, trainer.content_dim :], 0.0)


def test_encoder_content_codes_refuse_a_start(tiny_data):
    trainer = tiny_trainer(tiny_data, stage1_codes="amortized")
    with pytest.raises(ValueError, match="encoder, not a table"):
        trainer.initialize_content_codes(tiny_data.inputs(), TableStart())
