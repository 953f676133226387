"""Fuzz: generated malformed inputs get a clear error of a known type and change nothing.

Through the API, every input is either accepted, and then valid by an independent oracle,
or refused with a `ValueError`, `TypeError`, `KeyError` (a missing array) or
`FileNotFoundError` that keras-lord raised
itself (the innermost frame of the traceback is keras-lord code, not numpy, zipfile or
Keras) and that names what is wrong. Through the CLI, every input that the API refuses
ends with exit status 2, one line on stderr and no traceback; run with `--force` against a
finished run folder, it leaves every file of that folder as it was.
"""

import io
import math
import os
import shutil
import traceback
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import tiny_trainer
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

import keras_lord
from keras_lord.cli import main, read_image
from keras_lord.data import LordData, SyntheticObjects
from keras_lord.training_run import train_run

PACKAGE = os.path.dirname(keras_lord.__file__)
KNOWN_ERRORS = (ValueError, TypeError, KeyError, FileNotFoundError)
FUZZ = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    # Without the "explain" phase, which traces every line and makes a failure take minutes.
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FEW = settings(FUZZ, max_examples=12)

DTYPES = st.sampled_from(
    ["uint8", "uint16", "int8", "int32", "int64", "float16", "float32", "float64", "bool"]
    + ["complex64", "<U2"]
)


def arrays(max_dims=5, max_side=5, dtype=DTYPES):
    return hnp.arrays(
        dtype=dtype,
        shape=hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=max_side),
    )


def refused(function, *args, names=(), **kwargs) -> Exception:
    """Calls `function`; asserts a clear error that keras-lord raised. Returns it."""
    with pytest.raises(KNOWN_ERRORS) as info:
        function(*args, **kwargs)
    error = info.value
    where = traceback.extract_tb(error.__traceback__)[-1]
    assert where.filename.startswith(PACKAGE), (
        f"{type(error).__name__} from {where.filename}:{where.lineno}, not from keras-lord's "
        f"checks: {error}"
    )
    if names:
        assert any(name in str(error) for name in names), f"{error!r} names none of {names}"
    return error


def valid_images(images) -> bool:
    """The oracle: what `LordData` must accept as images."""
    if images.ndim != 4 or images.shape[0] == 0 or images.shape[-1] not in (1, 3):
        return False
    if images.dtype == np.uint8:
        return True
    if images.dtype.kind != "f":
        return False
    values = images.astype("float64")
    return bool(np.all(np.isfinite(values)) and values.min() >= 0 and values.max() <= 1)


def valid_ids(ids, count, length) -> bool:
    if ids.ndim != 1 or len(ids) != length or ids.dtype.kind not in "iuf":
        return False
    with np.errstate(invalid="ignore"):
        if ids.dtype.kind == "f" and not np.all(ids == np.round(ids)):
            return False
    return bool(len(ids) == 0 or (ids.min() >= 0 and ids.max() < count))


def snapshot(folder) -> dict:
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(Path(folder).rglob("*"))
    }


@pytest.fixture(scope="module")
def finished_run(crashed_run, tmp_path_factory):
    """A copy of a finished `keras-lord train` folder, and the data it was trained on."""
    folder = tmp_path_factory.mktemp("fuzz") / "run"
    shutil.copytree(crashed_run.uninterrupted, folder)
    return folder, crashed_run.data


def cli_refuses(arguments, folder, capsys, outputs=()):
    """Runs the CLI; asserts exit 2, one line on stderr, and the folder and outputs untouched."""
    before = snapshot(folder)
    try:
        code = main(arguments)
    except SystemExit as exit_info:  # argparse
        code = exit_info.code
    error = capsys.readouterr().err
    assert code == 2, f"exit {code} for {arguments}: {error}"
    assert "Traceback" not in error
    assert len([line for line in error.splitlines() if line.startswith("keras-lord")]) == 1, error
    assert snapshot(folder) == before, f"{arguments} changed {folder}"
    for path in outputs:
        assert not os.path.exists(path), f"{arguments} wrote {path}"


# --- The API: arrays ------------------------------------------------------------------


@FUZZ
@given(images=arrays())
def test_lord_data_accepts_valid_images_only(images):
    class_ids = np.zeros(images.shape[0] if images.ndim else 0, "int64")
    if valid_images(images):
        assert LordData(images, class_ids).images.shape == images.shape
    else:
        refused(LordData, images, class_ids, names=("`images`",))


@FUZZ
@given(
    class_ids=arrays(max_dims=2, max_side=6),
    num_classes=st.one_of(
        st.none(),
        st.integers(-3, 8),
        st.floats(allow_nan=True),
        st.text(max_size=3),
        hnp.arrays("int64", st.integers(0, 3)),
    ),
)
def test_lord_data_accepts_valid_class_ids_only(class_ids, num_classes):
    images = np.zeros((4, 8, 8, 3), "uint8")
    count = num_classes
    if num_classes is None and class_ids.dtype.kind in "iuf" and class_ids.size:
        with np.errstate(invalid="ignore"):
            finite = np.isfinite(class_ids.astype("float64")).all()
        count = int(class_ids.max()) + 1 if finite else None
    valid_count = (
        isinstance(count, (int, np.integer)) and not isinstance(count, bool) and count >= 1
    )
    if valid_count and valid_ids(class_ids, count, 4):
        data = LordData(images, class_ids, num_classes)
        assert data.num_classes == count and data.class_ids.dtype == np.int32
    else:
        refused(LordData, images, class_ids, num_classes, names=("class_ids", "num_classes"))


# --- The API: files ------------------------------------------------------------------


def good_npz_bytes(seed=0) -> bytes:
    data = SyntheticObjects(num_classes=2, num_azimuths=2, num_elevations=1, seed=seed).data()
    buffer = io.BytesIO()
    np.savez(buffer, imgs=data.images, classes=data.class_ids, n_classes=data.num_classes)
    return buffer.getvalue()


GOOD_NPZ = good_npz_bytes()


def npz_with(arrays_by_key) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays_by_key)
    return buffer.getvalue()


MALFORMED_FILES = st.one_of(
    st.binary(max_size=600),
    st.integers(0, len(GOOD_NPZ) - 1).map(lambda cut: GOOD_NPZ[:cut]),
    st.tuples(st.integers(0, len(GOOD_NPZ) - 1), st.binary(min_size=1, max_size=8)).map(
        lambda edit: GOOD_NPZ[: edit[0]] + edit[1] + GOOD_NPZ[edit[0] + len(edit[1]) :]
    ),
    st.dictionaries(
        st.sampled_from(["imgs", "classes", "contents", "n_classes", "other"]),
        arrays(max_dims=4, max_side=4),
        max_size=4,
    ).map(npz_with),
)


@FUZZ
@given(content=MALFORMED_FILES)
def test_npz_files_load_or_get_a_clear_error(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("npz") / "data.npz"
    path.write_bytes(content)
    try:
        data = LordData.from_npz(path)
    except KNOWN_ERRORS:
        refused(LordData.from_npz, path)
    else:
        assert valid_images(data.images) and valid_ids(data.class_ids, data.num_classes, len(data))


def damaged(content: bytes, cut: int, noise: bytes) -> bytes:
    cut = cut % len(content)
    return content[:cut] + noise + content[cut + len(noise) :] if noise else content[:cut]


@pytest.mark.slow
@FEW
@given(cut=st.integers(0, 2**40), noise=st.binary(max_size=16))
def test_damaged_model_files_get_a_clear_error(finished_run, tmp_path_factory, cut, noise):
    folder, _ = finished_run
    path = tmp_path_factory.mktemp("model") / "model.keras"
    path.write_bytes(damaged((folder / "model.keras").read_bytes(), cut, noise))
    try:
        model = keras_lord.load(path)
    except KNOWN_ERRORS:
        refused(keras_lord.load, path)
    else:
        assert isinstance(model, keras_lord.LordModel)


PICTURES = st.one_of(
    st.binary(max_size=300).map(lambda content: ("bytes", content)),
    st.tuples(
        st.sampled_from(["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I", "I;16", "F"]),
        st.integers(1, 40),
        st.integers(1, 40),
        st.sampled_from(["PNG", "TIFF", "JPEG", "BMP"]),
    ),
)


def write_picture(path, picture):
    if picture[0] == "bytes":
        path.write_bytes(picture[1])
        return
    mode, width, height, image_format = picture
    rng = np.random.default_rng(width * height)
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 65535, (height, width), dtype="uint16"))
    else:
        pixels = rng.integers(0, 255, (height, width, 3), dtype="uint8")
        image = Image.fromarray(pixels).convert(mode)
    for fallback in (image_format, "PNG", "TIFF"):  # a mode the format cannot hold
        try:
            image.save(path, format=fallback)
            return
        except (OSError, KeyError, ValueError):
            continue
    raise AssertionError(f"PIL writes {mode} images in none of the formats")


@FUZZ
@given(picture=PICTURES, channels=st.sampled_from([1, 3]), resize=st.booleans())
def test_image_files_read_or_get_a_clear_error(tmp_path_factory, picture, channels, resize):
    path = tmp_path_factory.mktemp("picture") / "picture.png"
    write_picture(path, picture)
    try:
        image = read_image(path, (32, 32, channels), resize=resize)
    except KNOWN_ERRORS:
        refused(read_image, path, (32, 32, channels), resize=resize)
    else:
        assert image.shape == (32, 32, channels) and image.dtype == np.uint8


# --- The API: training -----------------------------------------------------------------

ABSURD_NUMBERS = st.one_of(
    st.integers(max_value=0),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=4),
    st.none(),
    st.just([3]),
)


@FUZZ
@given(
    argument=st.sampled_from(["epochs", "encoder_epochs", "batch_size", "latent_learning_rate"]),
    value=ABSURD_NUMBERS,
)
def test_train_run_refuses_absurd_numbers_before_writing(tmp_path_factory, argument, value):
    if argument == "latent_learning_rate":
        positive_number = isinstance(value, float) or type(value) is int
        assume(not (positive_number and math.isfinite(value) and value > 0))
    data = SyntheticObjects(num_classes=2, num_azimuths=2, num_elevations=1, seed=1).data()
    folder = tmp_path_factory.mktemp("absurd") / "run"
    refused(train_run, data, folder, names=(f"`{argument}`",), **{argument: value})
    assert not folder.exists()


@pytest.fixture(scope="module")
def compiled_trainer(tiny_data):
    trainer = tiny_trainer(tiny_data)
    trainer.compile()
    return trainer


def defective_batch(data, defect, value):
    inputs = {key: np.array(array) for key, array in data.inputs().items()}
    if defect == "missing":
        inputs.pop(value % 3 and "class_id" or "image")
    elif defect == "image_dtype":
        inputs["image"] = inputs["image"].astype(["int32", "float64", "bool", "int8"][value % 4])
        if inputs["image"].dtype.kind == "f":
            inputs["image"] *= 1.0 + value  # outside [0, 1]
    elif defect == "image_shape":
        inputs["image"] = inputs["image"][:, : 1 + value % 31]
    elif defect == "pixels":
        inputs["image"] = inputs["image"] / 255.0
        inputs["image"].flat[value % inputs["image"].size] = [np.nan, -0.5, 2.0][value % 3]
    elif defect == "ids_range":
        key = ["class_id", "sample_id"][value % 2]
        inputs[key] = inputs[key].copy()
        inputs[key][value % len(inputs[key])] = [-1, 10**6][value % 2]
    elif defect == "ids_dtype":
        inputs["class_id"] = inputs["class_id"] + 0.5
    elif defect == "length":
        inputs["sample_id"] = inputs["sample_id"][: value % len(inputs["sample_id"])]
    elif defect == "not_a_dict":
        return [inputs["image"], None, "images", 3][value % 4]
    return inputs


@FUZZ
@given(
    defect=st.sampled_from(
        ["missing", "image_dtype", "image_shape", "pixels", "ids_range", "ids_dtype"]
        + ["length", "not_a_dict"]
    ),
    value=st.integers(0, 1000),
)
def test_fit_refuses_defective_input_and_trains_nothing(compiled_trainer, tiny_data, defect, value):
    before = [keras.ops.convert_to_numpy(w).copy() for w in compiled_trainer.weights]
    refused(compiled_trainer.fit, defective_batch(tiny_data, defect, value), epochs=1, verbose=0)
    after = [keras.ops.convert_to_numpy(w) for w in compiled_trainer.weights]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))


@pytest.mark.slow
@FUZZ
@given(class_images=arrays(), content_images=arrays())
def test_translate_refuses_malformed_images(finished_run, class_images, content_images):
    folder, _ = finished_run
    model = _loaded_model(folder)
    valid = all(
        valid_images(images) and images.shape[1:] == model.image_shape
        for images in (class_images, content_images)
    ) and len(class_images) == len(content_images)
    assume(not valid)
    refused(model.translate, class_images, content_images)


_MODELS = {}


def _loaded_model(folder):
    if folder not in _MODELS:
        _MODELS[folder] = keras_lord.load(folder)
    return _MODELS[folder]


# --- The CLI ----------------------------------------------------------------------------


def write_refused_file(path, content) -> None:
    """Writes `content` to `path`; skips the example unless `LordData.from_npz` refuses it."""
    path.write_bytes(content)
    try:
        LordData.from_npz(path)
    except KNOWN_ERRORS:
        return
    assume(False)  # valid data: the command would train, cluster or evaluate it, as it should


@pytest.mark.slow
@FUZZ
@given(content=MALFORMED_FILES)
def test_cli_train_on_malformed_data_touches_nothing(
    finished_run, tmp_path_factory, capsys, content
):
    folder, _ = finished_run
    path = tmp_path_factory.mktemp("cli") / "data.npz"
    write_refused_file(path, content)
    cli_refuses(["train", str(path), "--out", str(folder), "--force"], folder, capsys)


@FUZZ
@given(content=MALFORMED_FILES)
def test_cli_cluster_on_malformed_data_touches_nothing(tmp_path_factory, capsys, content):
    folder = tmp_path_factory.mktemp("cluster")
    write_refused_file(folder / "data.npz", content)
    arguments = ["cluster", str(folder / "data.npz"), "--out", str(folder / "styled.npz")]
    outputs = (folder / "styled.npz", folder / "styled_labeler.npz")
    cli_refuses(arguments + ["--styles-per-class", "2"], folder, capsys, outputs)


def invalid_positive_int(text) -> bool:
    try:
        return int(text) < 1
    except ValueError:
        return True


def invalid_positive_float(text) -> bool:
    try:
        value = float(text)
    except ValueError:
        return True
    return not (np.isfinite(value) and value > 0)


OPTIONS = {
    "--epochs": invalid_positive_int,
    "--encoder-epochs": invalid_positive_int,
    "--batch-size": invalid_positive_int,
    "--latent-lr": invalid_positive_float,
    "--seed": lambda text: invalid_positive_int(text) and not text.strip().lstrip("-").isdigit(),
    "--preset": lambda text: text not in ("small", "paper"),
    "--perceptual-layers": lambda text: True,
}


@pytest.mark.slow
@FUZZ
@given(
    option=st.sampled_from(sorted(OPTIONS)),
    text=st.one_of(
        st.text(max_size=6),
        st.integers(-(10**30), 10**30).map(str),
        st.floats().map(str),
        st.sampled_from(["nan", "inf", "-inf", "1e400", "0x10", "2.5", " 3", "block9_conv1"]),
    ),
)
def test_cli_refuses_absurd_arguments_and_touches_nothing(finished_run, capsys, option, text):
    folder, _ = finished_run
    if option == "--perceptual-layers":
        text = text + ",no_such_layer"
    assume(OPTIONS[option](text) and not text.startswith("-"))
    data = folder.parent / "data.npz"
    if not data.exists():
        SyntheticObjects(num_classes=2, num_azimuths=2, num_elevations=1, seed=1).data().save_npz(
            data
        )
    cli_refuses(["train", str(data), "--out", str(folder), "--force", option, text], folder, capsys)


@pytest.mark.slow
@FEW
@given(class_picture=PICTURES, content_picture=PICTURES)
def test_cli_translate_refuses_unreadable_images(
    finished_run, tmp_path_factory, capsys, class_picture, content_picture
):
    folder, _ = finished_run
    scratch = tmp_path_factory.mktemp("translate")
    paths = []
    for name, picture in (("a.png", class_picture), ("b.png", content_picture)):
        write_picture(scratch / name, picture)
        paths.append(scratch / name)
    try:
        for path in paths:
            read_image(path, (32, 32, 3))
    except KNOWN_ERRORS:
        pass
    else:
        assume(False)
    arguments = ["translate", "--model", str(folder), "--class-image", str(paths[0])]
    arguments += ["--content-image", str(paths[1]), "--out", str(scratch / "out.png")]
    cli_refuses(arguments, folder, capsys, outputs=[scratch / "out.png"])


@pytest.mark.slow
@FEW
@given(content=MALFORMED_FILES)
def test_cli_evaluate_on_malformed_data_touches_nothing(
    finished_run, tmp_path_factory, capsys, content
):
    folder, _ = finished_run
    scratch = tmp_path_factory.mktemp("evaluate")
    write_refused_file(scratch / "data.npz", content)
    arguments = ["evaluate", str(scratch / "data.npz"), "--model", str(folder)]
    arguments += ["--json", str(scratch / "report.json"), "--lpips", "none"]
    cli_refuses(arguments, folder, capsys, outputs=[scratch / "report.json"])


def test_zip_that_is_not_npz_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "data.npz", "w") as archive:
        archive.writestr("imgs.npy", b"not an array")
    refused(LordData.from_npz, tmp_path / "data.npz", names=("data.npz",))


# --- Dataset files -------------------------------------------------------------------------

GOOD_NORB = __import__("keras_lord.datasets", fromlist=["write_norb_matrix"]).write_norb_matrix(
    np.arange(2 * 2 * 4 * 4, dtype="uint8").reshape(2, 2, 4, 4)
)


@FUZZ
@given(
    content=st.one_of(
        st.binary(max_size=200),
        st.integers(0, len(GOOD_NORB) - 1).map(lambda cut: GOOD_NORB[:cut]),
        st.tuples(st.integers(0, 40), st.binary(min_size=1, max_size=8)).map(
            lambda edit: GOOD_NORB[: edit[0]] + edit[1] + GOOD_NORB[edit[0] + len(edit[1]) :]
        ),
    )
)
def test_norb_matrices_read_or_get_a_clear_error(content):
    from keras_lord.datasets import read_norb_matrix

    try:
        matrix = read_norb_matrix(content, "x-dat.mat")
    except KNOWN_ERRORS:
        refused(read_norb_matrix, content, "x-dat.mat", names=("x-dat.mat",))
    else:
        assert matrix.size * matrix.itemsize <= len(content)


@FUZZ
@given(cut=st.integers(0, 2**30), noise=st.binary(max_size=12))
def test_damaged_dataset_archives_get_a_clear_error(tmp_path_factory, cut, noise):
    import tarfile

    from keras_lord.datasets import DatasetSource

    folder = tmp_path_factory.mktemp("archive")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for index in range(3):
            info = tarfile.TarInfo(f"data/cars/car_{index:03d}_mesh.mat")
            info.size = 2000
            archive.addfile(info, io.BytesIO(bytes(range(250)) * 8))
    (folder / "data.tar.gz").write_bytes(damaged(buffer.getvalue(), cut, noise))
    source = DatasetSource(folder / "data.tar.gz", "Cars3D", "the publisher")
    try:
        files = source.files("*cars/car_*_mesh.mat")
    except KNOWN_ERRORS:
        refused(source.files, "*cars/car_*_mesh.mat", names=("data.tar.gz",))
    else:
        assert all(len(read()) == 2000 for _, read in files)
