"""LORD on Cars3D with the paper's protocol: content transfer on 20 held-out car models.

    KERAS_BACKEND=tensorflow python examples/cars3d.py \\
        --data-dir downloads/nips2015-analogy-data.tar.gz --out outputs/cars3d
    KERAS_BACKEND=tensorflow python examples/cars3d.py --smoke --out /tmp/cars3d-smoke

Trains both stages with the `paper` preset at 64x64 (200 + 200 epochs, batch 64), then
scores content transfer on held-out cars by LPIPS against the real rendering of (car of
x_i, view of x_j), and leakage probes both ways (the paper's Tables 1 and 2). Rerun the
same command to resume an interrupted run. Every setting has a flag (`--help`).
"""

from paper_protocol import example_main, parse_arguments

from keras_lord.datasets.samples import write_cars3d_sample

# The paper's Table 1 (LORD, Cars3D).
PAPER_FIGURES = {"content transfer LPIPS": 0.078}

if __name__ == "__main__":
    example_main(
        "cars3d",
        parse_arguments(__doc__.splitlines()[0], ablations=True),
        write_cars3d_sample,
        PAPER_FIGURES,
        loader_options={"held_out": 20},
        smoke_loader_options={"held_out": 2},
    )
