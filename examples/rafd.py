"""LORD on RaFD with the paper's protocol: expression is the class, the person the content.

    KERAS_BACKEND=tensorflow python examples/rafd.py --data-dir downloads/RaFD --out outputs/rafd
    KERAS_BACKEND=tensorflow python examples/rafd.py --smoke --out /tmp/rafd-smoke

Crops every portrait to the face box, holds out a seeded 10 % of the images, trains both
stages with the `paper` preset at 64x64 (200 + 200 epochs, batch 64), then scores the
paper's Table 4 protocol: an expression classifier trained on the real training images
(logistic regression on ImageNet VGG16 features) classifies translations G(expression of
x_i, person of x_j) of held-out pairs; its error on them is reported next to its error on
real held-out images. The paper compared at 128x128 crops (`--size 128` with a preset whose
layers divide it). Rerun the same command to resume an interrupted run.
"""

from paper_protocol import example_main, parse_arguments

from keras_lord.datasets.rafd import EXPRESSIONS
from keras_lord.datasets.samples import write_rafd_sample
from keras_lord.evaluation import class_transfer_error


def expression_protocol(model, train, test, extras, pairs, seed):
    report = class_transfer_error(model, train, test, num_pairs=pairs, seed=seed)
    figures = {
        "expression error of translations": report["translated_error"],
        "expression error of real held-out images": report["real_error"],
        "share with the content image's expression": report["content_class_share"],
        "expression error of chance": report["chance_error"],
    }
    return {"expression_transfer": report}, figures


def write_sample(folder):
    return write_rafd_sample(folder, expressions=EXPRESSIONS, subjects=4, angles=(90,))


if __name__ == "__main__":
    example_main(
        "rafd",
        parse_arguments(__doc__.splitlines()[0]),
        write_sample,
        paper_figures={},
        loader_options={"held_out": 0.1},
        smoke_loader_options={"held_out": 0.3},
        extra_protocol=expression_protocol,
    )
