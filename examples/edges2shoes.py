"""LORD on Edges2Shoes: the domain (edge map or photo) is the class, the shoe the content.

    KERAS_BACKEND=tensorflow python examples/edges2shoes.py \\
        --data-dir downloads/edges2shoes.tar.gz --out outputs/edges2shoes
    KERAS_BACKEND=tensorflow python examples/edges2shoes.py --smoke --out /tmp/shoes-smoke

Both halves of every file are kept, one image per domain, with the publisher's train / val
split. Trains both stages with the `paper` preset at 64x64 (200 + 200 epochs, batch 64),
then scores translation on the held-out pairs: the content of an edge map rendered in the
photo domain (and back) against the photo of the same file, by LPIPS, next to copying the
images, and the leakage probes both ways. With `--styles-per-class L` each domain is first
split into L style clusters (the paper's appendix A.8, `StyleClusterLabeler`), LORD trains
on the joint (domain, style) labels, and `OUT/styles_of_domain_D.png` shows held-out images
of the other domain in every style of domain D (`StyleTranslator`). Rerun the same command
to resume an interrupted run.
"""

from paper_protocol import example_main, parse_arguments

from keras_lord.datasets.samples import write_edges2shoes_sample


def write_sample(folder):
    return write_edges2shoes_sample(folder, train_pairs=19, val_pairs=8)


if __name__ == "__main__":
    arguments = parse_arguments(__doc__.splitlines()[0], styles=True)
    example_main("edges2shoes", arguments, write_sample, {})
