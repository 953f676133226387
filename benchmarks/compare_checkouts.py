"""Training throughput of two keras-lord source trees, run alternately, with their ratio.

    git worktree add /tmp/before <commit>
    KERAS_BACKEND=tensorflow python benchmarks/compare_checkouts.py /tmp/before . \
        --rounds 3 -- --preset small --batch-size 64 --steps 8

Runs `benchmarks/throughput.py` of each tree (with the arguments after `--`) in its own
process, that tree's `keras_lord` first on the path, alternating between the trees for
`--rounds` rounds, so drift of a shared machine hits both alike. Prints the CPU flags
that matter for the figures and JSON with every round's images/s, the medians and the
ratio `after / before`.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

# Importing keras-lord sets kernel variables (TF_ENABLE_ONEDNN_OPTS, XLA_FLAGS) in this
# process's environment; each tree's process gets the environment from before, so that it
# makes its own choices.
ENVIRONMENT = dict(os.environ)

from keras_lord.utils.cpu import cpu_flags as machine_flags  # noqa: E402


def cpu_flags():
    """The flags that decide the fast kernels, to print with every figure.

    Under benchmarks/avx2_only.sh they are the flags the process is shown, and the list ends
    with "avx2_only.sh" to say so.
    """
    decisive = {"avx2", "avx512f", "avx512_bf16", "avx512_vnni", "avx_vnni", "amx_bf16", "amx_tile"}
    masked = ["avx2_only.sh"] if "avx2_only" in os.environ.get("LD_PRELOAD", "") else []
    return sorted(machine_flags() & decisive) + masked


def images_per_second(tree, arguments):
    tree = os.path.abspath(tree)
    env = dict(ENVIRONMENT, PYTHONPATH=tree + os.pathsep + ENVIRONMENT.get("PYTHONPATH", ""))
    script = os.path.join(tree, "benchmarks", "throughput.py")
    result = subprocess.run(
        [sys.executable, script, *arguments], env=env, capture_output=True, text=True, check=True
    )
    report = json.loads(result.stdout[result.stdout.index("{") :])
    return next(iter(report["configurations"].values()))["images_per_second"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="source tree timed first in each round")
    parser.add_argument("after", help="source tree timed second")
    parser.add_argument("--rounds", type=int, default=3)
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    arguments = parser.parse_args(argv[:split])
    passed = argv[split + 1 :]
    rounds = {"before": [], "after": []}
    for _ in range(arguments.rounds):
        for name in ("before", "after"):
            rounds[name].append(images_per_second(getattr(arguments, name), passed))
    medians = {name: statistics.median(values) for name, values in rounds.items()}
    print(
        json.dumps(
            {
                "backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
                "cpu_flags": cpu_flags(),
                "throughput_arguments": passed,
                "images_per_second": rounds,
                "median": medians,
                "after_over_before": round(medians["after"] / medians["before"], 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
