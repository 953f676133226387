import json
import os
import shutil
import subprocess
import sys

import keras
import pytest

from keras_lord.utils.cpu import cpu_flags

REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPOSITORY, "benchmarks", "avx2_only.sh")

pytestmark = [
    pytest.mark.skipif(
        "cpuid_fault" not in cpu_flags() or shutil.which("gcc") is None,
        reason="benchmarks/avx2_only.sh needs gcc and a CPU with the cpuid_fault flag",
    ),
    # The script runs its own processes, whatever the session's backend.
    pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="run in one session"),
]

# Prints CPUID leaf 7's AVX512F bit and leaf 1's signature, as any library would read them.
CPUID_PROBE = r"""
#include <cpuid.h>
#include <stdio.h>
int main(void) {
    unsigned int a, b, c, d;
    __cpuid_count(7, 0, a, b, c, d);
    int avx512f = (b >> 16) & 1, avx2 = (b >> 5) & 1;
    __cpuid(1, a, b, c, d);
    printf("avx512f=%d avx2=%d signature=%08x\n", avx512f, avx2, a);
    return 0;
}
"""


@pytest.fixture(scope="module")
def masked(tmp_path_factory):
    """Runs a command under the script, which builds its library into a fresh cache."""
    env = {key: value for key, value in os.environ.items() if key != "TF_ENABLE_ONEDNN_OPTS"}
    env["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    if subprocess.run(["bash", SCRIPT, "true"], env=env, capture_output=True).returncode == 3:
        pytest.skip("the kernel refused to make CPUID fault here (seccomp or a hypervisor)")

    def run(*command, **variables):
        return subprocess.run(
            ["bash", SCRIPT, *command],
            env={**env, **variables},
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    return run


def test_cpuid_shows_an_avx2_only_epyc(masked, tmp_path):
    source = tmp_path / "probe.c"
    source.write_text(CPUID_PROBE)
    subprocess.run(["gcc", "-o", str(tmp_path / "probe"), str(source)], check=True)
    assert masked(str(tmp_path / "probe")).split() == [
        "avx512f=0",
        "avx2=1",
        "signature=00a00f11",
    ]


def test_python_sees_the_masked_flags_and_keeps_its_own_fault_handler(masked):
    report = masked(
        sys.executable,
        "-X",
        "faulthandler",
        "-c",
        "import faulthandler, json; from keras_lord.utils.cpu import cpu_flags; "
        "print(json.dumps([faulthandler.is_enabled(), sorted(cpu_flags())]))",
    )
    enabled, flags = json.loads(report.strip().splitlines()[-1])
    assert enabled
    assert "avx2" in flags and "fma" in flags
    assert not [flag for flag in flags if flag.startswith(("avx512", "amx", "avx_vnni"))]


# argv: the order of imports. Prints the warnings `import keras_lord` gave, with the file
# each points at, and whether TensorFlow runs oneDNN's kernels.
IMPORT_ORDER_REPORT = """
import json, sys, warnings
if sys.argv[1] == "tensorflow-first":
    import tensorflow
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import keras_lord
from keras_lord.utils.cpu import onednn_enabled
print(json.dumps([[[str(w.message), w.filename] for w in caught], onednn_enabled()]))
"""


@pytest.mark.parametrize(
    "order, setting, expected_warning, expected_onednn",
    [
        ("keras-lord-first", None, False, True),  # keras-lord turns oneDNN on
        ("tensorflow-first", None, True, False),  # too late: TensorFlow left it off
        ("tensorflow-first", "0", False, False),  # the user's own choice
        ("tensorflow-first", "1", False, True),
    ],
)
def test_tensorflow_imported_first_without_onednn_is_warned_about(
    masked, order, setting, expected_warning, expected_onednn
):
    variables = {"KERAS_BACKEND": "tensorflow"}
    if setting is not None:
        variables["TF_ENABLE_ONEDNN_OPTS"] = setting
    output = masked(sys.executable, "-c", IMPORT_ORDER_REPORT, order, **variables)
    messages, onednn = json.loads(output.strip().splitlines()[-1])
    onednn_warnings = [where for message, where in messages if "TF_ENABLE_ONEDNN_OPTS=1" in message]
    assert bool(onednn_warnings) == expected_warning
    # At the user's import (`-c`'s code is "<string>"), not inside keras-lord.
    assert all(where == "<string>" for where in onednn_warnings), onednn_warnings
    assert onednn == expected_onednn
