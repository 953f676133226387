"""Stage 1 of LORD on rendered objects, written out step by step.

Run: KERAS_BACKEND=tensorflow python examples/stage1_synthetic.py
"""

import keras_lord
from keras_lord.callbacks import ResumableCheckpoint, TranslationGrid
from keras_lord.data import SyntheticObjects

# 1. Data: every object (class) from every viewpoint (content), as uint8 images.
data = SyntheticObjects(num_classes=10, num_azimuths=12, num_elevations=1).data()

# 2. The model: class table, content table with fixed noise, AdaIN generator, VGG loss.
trainer = keras_lord.LordTrainer(
    num_classes=data.num_classes,
    num_samples=data.num_samples,
    image_shape=data.image_shape,
    preset="small",
    seed=0,
)

# 3. Reference optimisation: Adam(0.5, 0.999), tables at 3e-3, generator at 3e-4, cosine.
trainer.compile()

# 4. Train; rerunning this script after a crash resumes from the checkpoint.
trainer.fit(
    data.inputs(),
    batch_size=32,
    epochs=40,
    callbacks=[
        ResumableCheckpoint("outputs/example/checkpoint"),
        TranslationGrid(data.inputs(), "outputs/example/grids", every=10),
    ],
)
trainer.save("outputs/example/lord.keras")
