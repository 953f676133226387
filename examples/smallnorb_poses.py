"""LORD on SmallNORB-Poses with the paper's protocol: 10 % of the images held out.

    KERAS_BACKEND=tensorflow python examples/smallnorb_poses.py \\
        --data-dir downloads/smallnorb --out outputs/smallnorb_poses
    KERAS_BACKEND=tensorflow python examples/smallnorb_poses.py --smoke --out /tmp/poses-smoke

Class = object (category x instance) x lighting, content = azimuth and elevation; a seeded
10 % of the images is held out. Trains both stages with the `paper` preset at 64x64 (200 +
200 epochs, batch 64), then scores content transfer of held-out images by LPIPS against
the real image of (class of x_i, pose of x_j), found among all images, and leakage probes
both ways (the paper's Tables 1 and 2).
Rerun the same command to resume an interrupted run. Every setting has a flag.
"""

from paper_protocol import example_main, parse_arguments

from keras_lord.datasets.samples import write_smallnorb_sample

# The paper's Table 1 (LORD, SmallNorb-Poses).
PAPER_FIGURES = {"content transfer LPIPS": 0.106}

if __name__ == "__main__":
    example_main(
        "smallnorb_poses",
        parse_arguments(__doc__.splitlines()[0]),
        write_smallnorb_sample,
        PAPER_FIGURES,
        loader_options={"held_out": 0.1},
        # Held-out poses of training classes: their ground truths are training images.
        truths_in_training=True,
    )
