"""Trains a tiny LORD with keras-lord 0.1 and saves it (run with commit e3cb638's code)."""

import os
import sys
import warnings

import keras_lord
from keras_lord.callbacks import ResumableCheckpoint
from keras_lord.data import SyntheticObjects
from keras_lord.losses import VGGPerceptualLoss

out = sys.argv[1]
warnings.simplefilter("ignore")
data = SyntheticObjects(num_classes=3, num_azimuths=4, num_elevations=1, seed=7).data()
trainer = keras_lord.LordTrainer(
    num_classes=3,
    num_samples=data.num_samples,
    preset="small",
    adain_dim=8,
    content_dim=8,
    class_dim=8,
    seed=1,
    perceptual_loss=VGGPerceptualLoss(vgg_weights=None, feature_layers=("block1_conv2",)),
)
trainer.compile()
checkpoint = ResumableCheckpoint(os.path.join(out, "legacy_checkpoint"))
trainer.fit(data.inputs(), batch_size=4, epochs=2, verbose=0, callbacks=[checkpoint])
trainer.save(os.path.join(out, "legacy_stage1.keras"))
trainer.start_stage2()
trainer.fit(data.inputs(), batch_size=4, epochs=1, verbose=0)
trainer.save(os.path.join(out, "legacy_stage2.keras"))
