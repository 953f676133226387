import os

import keras
import numpy as np

from keras_lord.distribution.processes import is_first_process
from keras_lord.utils.files import remove_partial_files
from keras_lord.utils.image_grid import save_png, translation_grid


class TranslationGrid(keras.callbacks.Callback):
    """Writes a class x content translation grid as PNG at the end of epochs.

    Class sources are images of distinct classes (rows), content sources are other
    images (columns); each cell is the generator's output for the class of its row and the
    content of its column, so a person can see what the model has learned.

    Args:
        inputs: training input dict `{"image", "class_id", "sample_id"}` to draw sources from.
        directory: where `translations_epoch_XXXX.png` files are written.
        num_class_sources: grid rows (at most the number of distinct classes).
        num_content_sources: grid columns.
        every: write a grid every `every` epochs (and after the last one).
        scale: integer enlargement of the PNG.
        seed: seed of the choice of sources.
        filename_prefix: put before `translations_epoch_XXXX.png`.

    Each PNG is written under a temporary name and renamed into place; the temporary file
    of a write that a crash cut off is removed at the start of the next `fit`. Under
    several processes training together (JAX) every process renders the grid and the
    first writes it.

    Example:
    ```python
    grid = keras_lord.callbacks.TranslationGrid(data.inputs(), "outputs/grids")
    trainer.fit(data.inputs(), epochs=100, callbacks=[grid])
    ```

    """

    def __init__(
        self,
        inputs: dict,
        directory: str | os.PathLike,
        num_class_sources: int = 8,
        num_content_sources: int = 8,
        every: int = 1,
        scale: int = 2,
        seed: int = 0,
        filename_prefix: str = "",
    ):
        super().__init__()
        rng = np.random.default_rng(seed)
        class_ids = np.asarray(inputs["class_id"])
        classes = rng.permutation(np.unique(class_ids))[:num_class_sources]
        class_rows = np.array([rng.choice(np.flatnonzero(class_ids == c)) for c in classes])
        content_rows = rng.choice(
            len(class_ids), size=min(num_content_sources, len(class_ids)), replace=False
        )
        self.class_sources = {key: np.asarray(value)[class_rows] for key, value in inputs.items()}
        self.content_sources = {
            key: np.asarray(value)[content_rows] for key, value in inputs.items()
        }
        self.directory = os.fspath(directory)
        self.every = int(every)
        self.scale = int(scale)
        self.filename_prefix = filename_prefix
        self.last_path = None

    def on_train_begin(self, logs=None):
        if is_first_process():
            remove_partial_files(self.directory)

    def on_epoch_end(self, epoch, logs=None):
        is_last = epoch + 1 == self.params.get("epochs") if self.params else False
        if (epoch + 1) % self.every and not is_last:
            return
        self.write(
            os.path.join(
                self.directory, f"{self.filename_prefix}translations_epoch_{epoch + 1:04d}.png"
            )
        )

    def write(self, path: str | os.PathLike) -> str:
        """Renders the grid with the current model and writes it to `path`.

        Args:
            path: destination `.png`.

        Returns:
            The path.

        """
        translations = self.model.translate_samples(self.class_sources, self.content_sources)
        grid = translation_grid(
            self.class_sources["image"], self.content_sources["image"], translations
        )
        if is_first_process():
            save_png(path, grid, scale=self.scale)
        self.last_path = path
        return path
