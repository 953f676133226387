"""Content-transfer error during training, against training time: time to quality."""

import csv
import os
import time

import keras
import numpy as np

from keras_lord.data.lord_data import LordData
from keras_lord.data.pixels import unit_float
from keras_lord.distribution.processes import is_first_process
from keras_lord.evaluation import ground_truth_pairs, image_errors

FIELDS = ("stage", "epoch", "train_seconds", "mse", "lpips")


class TransferEvaluation(keras.callbacks.Callback):
    """Scores content transfer every few epochs of a `LordTrainer`, next to the time spent.

    For pairs of images of different classes, the class code of the first and the content
    code of the second are decoded and compared with the real image of that class and
    content. In stage 2 the codes come from the encoders, so `data` may hold classes never
    trained on (the paper's protocol, and the one that tells a speed change from a quality
    change). In stage 1 only the tables hold codes: there, `data` is scored only if it is
    the training data itself (`training_rows=True`, row `i` being sample id `i`).

    The same callback can follow both stages (pass it to both `fit` calls): the time is
    counted from the first epoch of the first, without the evaluations' own time.

    Args:
        data: images with class and content labels.
        every: epochs between evaluations (the last epoch of a `fit` is always scored).
        num_pairs: pairs drawn once, the same at every evaluation.
        training_rows: `data` is the training data, in the order the tables hold it.
        lpips_network: LPIPS backbone, or `None` for MSE only.
        log_path: a CSV receiving one row per evaluation (`FIELDS`), appended to; an
            epoch already in it (trained again after a resume) is not written twice. The
            time restarts with each process.
        seed: seed of the pairs.

    Attributes:
        history: the rows so far, as dicts.
        baselines: errors of copying the content image and the class image, on the
            same pairs.

    Example:
    ```python
    evaluation = TransferEvaluation(held_out, every=5, log_path="run/transfer_log.csv")
    trainer.fit(inputs, epochs=50, callbacks=[evaluation])
    trainer.start_stage2()
    trainer.fit(inputs, epochs=50, callbacks=[evaluation])
    evaluation.history[-1]  # {"stage": 2, "epoch": 50, "train_seconds": ..., "lpips": ...}
    ```

    """

    def __init__(
        self,
        data: LordData,
        every: int = 5,
        num_pairs: int = 200,
        training_rows: bool = False,
        lpips_network: str | None = "vgg16",
        log_path: str | os.PathLike | None = None,
        seed: int = 0,
    ):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"`every` must be a positive integer; got {every!r}.")
        self.data = data
        self.every = every
        self.num_pairs = num_pairs
        self.training_rows = training_rows
        self.lpips_network = lpips_network
        self.log_path = None if log_path is None else os.fspath(log_path)
        self.seed = seed
        self.first, self.second, self.truth = ground_truth_pairs(data, num_pairs, seed)
        targets = data.images[self.truth]
        self.baselines = {
            name: image_errors(unit_float(data.images[sources]), targets, lpips_network)
            for name, sources in (("copy_content", self.second), ("copy_class", self.first))
        }
        self.history = []
        self._started = None
        self._evaluation_seconds = 0.0
        self._epochs_in_fit = None

    def on_train_begin(self, logs=None):
        stage1_rows = self.training_rows and not self.model.encoders_hold_codes()
        if stage1_rows and self.model.attributes:
            raise ValueError(
                "`TransferEvaluation(training_rows=True)` rebuilds stage-1 codes from class "
                "and sample ids only, but this trainer also has the attributes "
                f"{sorted(self.model.attributes)}: score it in stage 2, on images."
            )
        if self._started is None:
            self._started = time.perf_counter()
        self._epochs_in_fit = self.params.get("epochs")

    def on_epoch_end(self, epoch, logs=None):
        last = self._epochs_in_fit is not None and epoch + 1 == self._epochs_in_fit
        if (epoch + 1) % self.every and not last:
            return
        if not (self.training_rows or self.model.encoders_hold_codes()):
            return
        train_seconds = time.perf_counter() - self._started - self._evaluation_seconds
        evaluation_start = time.perf_counter()
        row = {
            "stage": self.model.stage,
            "epoch": epoch + 1,
            "train_seconds": round(train_seconds, 2),
            **self.score(),
        }
        self.history.append(row)
        if self.log_path is not None and is_first_process():
            self._append(row)
        self._evaluation_seconds += time.perf_counter() - evaluation_start

    def score(self) -> dict:
        """The current content-transfer error on the pairs.

        Returns:
            `{"mse": float, "lpips": float}` (no `"lpips"` without a network).

        """
        rows = np.unique(np.concatenate([self.first, self.second]))
        inputs = {"image": self.data.images[rows]}
        if self.training_rows:
            inputs.update(
                {
                    self.model.tables.id_keys["class"]: self.data.class_ids[rows],
                    self.model.tables.id_keys["content"]: rows,
                }
            )
        class_codes, content_codes = self.model.objective.sample_codes(self.model, inputs)
        position = {row: index for index, row in enumerate(rows)}
        generated = self.model.model.decode(
            class_codes[[position[row] for row in self.first]],
            content_codes[[position[row] for row in self.second]],
        )
        return image_errors(generated, self.data.images[self.truth], self.lpips_network)

    def _append(self, row):
        new = not os.path.exists(self.log_path)
        if not new:
            # An epoch that a resumed run trains again is scored again: keep its first row.
            with open(self.log_path, newline="") as file:
                logged = {(line.get("stage"), line.get("epoch")) for line in csv.DictReader(file)}
            if (str(row["stage"]), str(row["epoch"])) in logged:
                return
        with open(self.log_path, "a", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=FIELDS, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow(row)
