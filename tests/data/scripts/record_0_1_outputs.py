"""Records what keras-lord 0.1 computes from the 0.1 fixtures (run with the 0.1 code)."""

import os
import sys
import warnings

import keras
import numpy as np

import keras_lord
from keras_lord.data import SyntheticObjects

warnings.simplefilter("ignore")
out = sys.argv[1]
data = SyntheticObjects(num_classes=3, num_azimuths=4, num_elevations=1, seed=7).data()
stage1 = keras_lord.load(os.path.join(out, "legacy_stage1.keras"))
stage2 = keras_lord.load(os.path.join(out, "legacy_stage2.keras"))
class_ids, sample_ids = np.array([0, 1, 2, 1]), np.array([3, 0, 11, 6])
rowwise = stage1._rowwise_optimizer()
np.savez(
    os.path.join(out, "legacy_expected.npz"),
    class_ids=class_ids,
    sample_ids=sample_ids,
    images=data.images,
    stage1_generated=stage1.generate(class_ids, sample_ids),
    stage1_class_table=keras.ops.convert_to_numpy(stage1.class_embedding.embeddings),
    stage1_content_table=keras.ops.convert_to_numpy(stage1.content_embedding.embeddings),
    stage1_table_momentum=keras.ops.convert_to_numpy(rowwise._momentums[1]),
    stage1_iterations=np.array(
        [int(keras.ops.convert_to_numpy(o.iterations)) for o in stage1.optimizer.optimizers]
    ),
    stage2_translated=stage2.translate(data.images[:4], data.images[4:8]),
    stage2_decoded=stage2.decode(np.full((2, 8), 0.1, "float32"), np.full((2, 8), -0.2, "float32")),
)
print("ok", stage1.stage, stage2.stage)
