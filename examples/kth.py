"""LORD on KTH: person is the class, everything else (pose, motion) the content.

    KERAS_BACKEND=tensorflow python examples/kth.py --data-dir downloads/kth --out outputs/kth
    KERAS_BACKEND=tensorflow python examples/kth.py --smoke --out /tmp/kth-smoke

Reads the handwaving videos of scenario d4 (`00sequences.txt`'s frames), grayscale, holds
out a seeded 10 % of the frames, trains both stages with the `paper` preset at 64x64 (200 +
200 epochs, batch 64), then reports the reconstruction error of the held-out frames, the
leakage of the person into the content codes, and writes translation grids (person x
pose) every epoch. The paper shows KTH translations as pictures only. Rerun the same
command to resume an interrupted run. Every setting has a flag (`--help`).
"""

from paper_protocol import example_main, parse_arguments

from keras_lord.datasets.samples import write_kth_sample

if __name__ == "__main__":
    example_main(
        "kth",
        parse_arguments(__doc__.splitlines()[0]),
        write_kth_sample,
        paper_figures={},
        loader_options={"held_out": 0.1},
        # The sample's 20 frames: half held out, so that the probes have data.
        smoke_loader_options={"held_out": 0.5},
    )
