"""What a new user does: their own .npz in the reference layout, the `small` preset, fit,
a resumable checkpoint, grids, save, and a reload in a fresh process."""

import keras
import numpy as np

from keras_lord import LordTrainer
from keras_lord.callbacks import ResumableCheckpoint, TranslationGrid
from keras_lord.data import LordData, SyntheticObjects
from keras_lord.losses import VGGPerceptualLoss


def test_npz_to_saved_model(tmp_path):
    import os
    import subprocess
    import sys

    # The user's data: grayscale-free RGB objects, written in the reference layout by hand.
    source = SyntheticObjects(num_classes=5, num_azimuths=6, num_elevations=1, seed=11).data()
    np.savez(
        tmp_path / "user.npz",
        imgs=source.images,
        classes=source.class_ids,
        contents=source.content_ids,
        n_classes=source.num_classes,
    )

    data = LordData.from_npz(tmp_path / "user.npz")
    trainer = LordTrainer(
        num_classes=data.num_classes,
        num_samples=data.num_samples,
        preset="small",
        perceptual_loss=VGGPerceptualLoss(),
        seed=0,
    )
    trainer.compile()
    callbacks = [
        ResumableCheckpoint(tmp_path / "checkpoint"),
        TranslationGrid(data.inputs(), tmp_path / "grids"),
    ]
    history = trainer.fit(data.inputs(), batch_size=10, epochs=2, callbacks=callbacks, verbose=0)
    assert history.history["reconstruction"][1] < history.history["reconstruction"][0]
    assert (tmp_path / "grids" / "translations_epoch_0002.png").exists()

    # A rerun with the same checkpoint finds the work done and trains nothing more.
    again = trainer.fit(data.inputs(), batch_size=10, epochs=2, callbacks=callbacks[:1], verbose=0)
    assert again.epoch == []

    trainer.save(tmp_path / "lord.keras")
    expected = trainer.generate([0, 4], [3, 17])
    code = (
        # Keras imports only its own packages when loading; extensions register on import.
        "import numpy as np, keras, keras_lord\n"
        f"m = keras.saving.load_model({str(tmp_path / 'lord.keras')!r})\n"
        f"np.save({str(tmp_path / 'out.npy')!r}, m.generate([0, 4], [3, 17]))\n"
    )
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=300)
    # Equal to float rounding: oneDNN may pick other kernels in another process.
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, atol=1e-6)
