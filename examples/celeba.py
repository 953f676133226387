"""LORD on CelebA with the paper's protocol: identity is the class, pose the content.

    KERAS_BACKEND=tensorflow python examples/celeba.py --data-dir downloads/celeba \\
        --out outputs/celeba
    KERAS_BACKEND=tensorflow python examples/celeba.py --smoke --out /tmp/celeba-smoke

Holds out 1,000 identities, trains both stages with the `paper` preset at 64x64 (200 + 200
epochs, batch 64), then scores on the held-out identities (the paper's Tables 1 and 2):
- content transfer: the identity of x_i with the content of an image x_j of another
  identity, against the image of x_i's identity whose landmarks lie nearest to x_j's
  (the paper detected 68 landmarks; CelebA's annotation files give 5);
- leakage of the identity into the content codes (a probe);
- leakage of the pose into the class codes: the error of a linear regression of the 5
  landmarks from the class codes (higher is better; next to predicting their mean).
Rerun the same command to resume an interrupted run. Every setting has a flag (`--help`).
"""

from paper_protocol import example_main, parse_arguments, transfer_figures

from keras_lord.datasets.samples import write_celeba_sample
from keras_lord.evaluation import (
    content_transfer_error,
    landmark_regression,
    nearest_landmark_pairs,
)

# The paper's Table 1 (LORD, CelebA).
PAPER_FIGURES = {"content transfer LPIPS": 0.197}


def landmark_protocol(model, train, test, extras, pairs, seed):
    landmarks = extras["landmarks"]
    transfer = content_transfer_error(
        model.translate,
        test,
        pairs=nearest_landmark_pairs(test.class_ids, landmarks, pairs, seed),
    )
    regression = landmark_regression(model.encode_class(test.images), landmarks, seed=seed)
    figures = {
        **transfer_figures(transfer),
        "landmarks from class codes: MSE (px^2)": regression["mse"],
        "landmarks from class codes: mean-prediction MSE": regression["baseline_mse"],
    }
    return {"content_transfer": transfer, "landmark_regression": regression}, figures


def write_sample(folder):
    return write_celeba_sample(folder, identities=12, images_per_identity=8)


if __name__ == "__main__":
    example_main(
        "celeba",
        parse_arguments(__doc__.splitlines()[0]),
        write_sample,
        PAPER_FIGURES,
        loader_options={"held_out": 1000},
        smoke_loader_options={"held_out": 4},
        extra_protocol=landmark_protocol,
        required_extras={
            "landmarks": "Anno/list_landmarks_align_celeba.txt (or Kaggle's .csv of that name)"
        },
    )
