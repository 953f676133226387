"""All the paper's protocols for a stage-2 model, in one report."""

import keras

from keras_lord.data.lord_data import LordData
from keras_lord.evaluation.image_quality import image_quality
from keras_lord.evaluation.pairs import draw_pairs
from keras_lord.evaluation.probes import leakage
from keras_lord.evaluation.transfer import content_transfer_error, image_errors


def evaluate_model(
    model: keras.Model,
    data: LordData,
    num_pairs: int = 500,
    seed: int = 0,
    lpips_network: str | None = "vgg16",
    truths: LordData | None = None,
    inception_weights=None,
) -> dict:
    """All protocols for a stage-2 model on held-out data.

    Args:
        model: a `LordModel` with trained encoders (or a `LordTrainer` in stage 2).
        data: held-out images with class labels (and content labels for transfer).
        num_pairs: pairs for the content-transfer error.
        seed: seed of pairs, splits and classifiers.
        lpips_network: LPIPS backbone, or `None` for MSE only.
        truths: where content transfer looks up its ground-truth images (see
            `ground_truth_pairs`; default: `data`).
        inception_weights: FID's Inception weights (`"fid"` to download them, a path, or
            a model; see `keras_lord.evaluation.image_quality`), to add FID and KID of
            translations of `num_pairs` random pairs against the images; `None`: not
            measured.

    Returns:
        `{"reconstruction": {...}, "leakage": {...}, "content_transfer": {...},
        "image_quality": {...}}` (no content transfer without content labels, no image
        quality without `inception_weights`).

    """
    images = data.images
    class_codes = model.encode_class(images)
    content_codes = model.encode_content(images)
    report = {
        "images": data.num_samples,
        "reconstruction": image_errors(
            model.decode(class_codes, content_codes), images, lpips_network
        ),
        "leakage": leakage(class_codes, content_codes, data.class_ids, data.content_ids, seed),
    }
    if inception_weights is not None:
        first, second = draw_pairs(data.class_ids, num_pairs, seed)
        report["image_quality"] = image_quality(
            images, model.translate(images[first], images[second]), inception_weights
        )
    if data.content_ids is not None:
        report["content_transfer"] = content_transfer_error(
            model.translate, data, num_pairs, seed, lpips_network, truths
        )
    return report
