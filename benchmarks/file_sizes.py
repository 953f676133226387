"""Sizes of saved files: the whole trainer against the deployable LordModel, per preset.

    KERAS_BACKEND=tensorflow python benchmarks/file_sizes.py --num-samples 1000

Builds a trainer per preset, compiles and builds its optimiser for stage 1 and for stage 2,
saves `trainer.save` (model, tables, frozen VGG16, optimiser state) and
`trainer.model.save` (generator and encoders only), and prints JSON with the sizes in MB.
The VGG weights are random here: a file's size does not depend on their values.
"""

import argparse
import json
import os
import tempfile
import warnings

from keras_lord import LordTrainer
from keras_lord.losses import VGGPerceptualLoss


def megabytes(path):
    return round(os.path.getsize(path) / 2**20, 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="small,paper")
    parser.add_argument("--num-classes", type=int, default=100)
    parser.add_argument("--num-samples", type=int, default=1000)
    arguments = parser.parse_args()
    report = {"num_classes": arguments.num_classes, "num_samples": arguments.num_samples}
    with tempfile.TemporaryDirectory() as folder:
        for preset in arguments.presets.split(","):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                loss = VGGPerceptualLoss(vgg_weights=None, name="perceptual_loss")
            trainer = LordTrainer(
                num_classes=arguments.num_classes,
                num_samples=arguments.num_samples,
                preset=preset,
                perceptual_loss=loss,
                seed=0,
            )
            sizes = {}
            for stage in (1, 2):
                if stage == 2:
                    trainer.start_stage2()
                else:
                    trainer.compile()
                trainer.optimizer.build(trainer.trainable_variables)
                trainer.save(os.path.join(folder, "trainer.keras"))
                trainer.model.save(os.path.join(folder, "model.keras"))
                sizes[f"stage{stage}"] = {
                    "trainer_mb": megabytes(os.path.join(folder, "trainer.keras")),
                    "model_mb": megabytes(os.path.join(folder, "model.keras")),
                }
            report[preset] = sizes
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
