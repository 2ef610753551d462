"""The int8 exports compute the same numbers on a CPU without AVX-512 VNNI as on one with it.

ONNX Runtime multiplies int8 weights by uint8 activations with VNNI where the CPU has it, and
otherwise with an AVX2 instruction whose pairwise sums saturate at 16 bits. The test runs the
model natively and under QEMU's user-mode emulation of a Haswell CPU (AVX2, no VNNI), which takes
the other kernel. Skipped where qemu-x86_64 is not installed (.ci/run installs it).
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from embeddings.onnx_export import export_module, quantise_int8

pytestmark = pytest.mark.model

QEMU = shutil.which("qemu-x86_64")


def host_has_vnni() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


# Runs one fixed batch of word-piece ids through an ONNX file on one thread and saves the states.
RUN = """
import sys, numpy as np, onnxruntime as ort
options = ort.SessionOptions(); options.intra_op_num_threads = 1
session = ort.InferenceSession(sys.argv[1], options, providers=["CPUExecutionProvider"])
ids = np.random.default_rng(0).integers(1000, 20000, size=(2, 48)).astype(np.int64)
ids[:, 0], ids[:, -1] = 101, 102
feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
np.save(sys.argv[2], session.run(None, feed)[0])
"""


def states(model: Path, out: Path, *, emulate: bool) -> np.ndarray:
    prefix = [QEMU or "qemu-x86_64", "-cpu", "Haswell"] if emulate else []
    subprocess.run([*prefix, sys.executable, "-c", RUN, str(model), str(out)], check=True, capture_output=True)
    return np.load(out)


@pytest.mark.skipif(QEMU is None, reason="qemu-x86_64 is not installed (Debian: apt-get install qemu-user)")
@pytest.mark.skipif(platform.machine() != "x86_64", reason="the two int8 kernels are x86's")
def test_int8_model_gives_the_same_numbers_without_vnni(tmp_path: Path) -> None:
    from transformers import AutoModel

    from embeddings.models import DEFAULT_MODEL
    from embeddings.token_embedder import local_model

    folder = local_model(DEFAULT_MODEL)[0]
    fp32 = tmp_path / "fp32.onnx"
    export_module(AutoModel.from_pretrained(str(folder)), fp32, "last_hidden_state")
    ours, full_range = tmp_path / "ours.onnx", tmp_path / "full.onnx"
    quantise_int8(fp32, ours)
    quantise_int8(fp32, full_range, reduce_range=False)

    if host_has_vnni():
        # The control: 8-bit weights saturate on the emulated CPU and not on this one, so the
        # numbers move (what the test would catch if quantise_int8 went back to them). A host
        # without VNNI takes the emulated CPU's kernel itself, so there is nothing to compare.
        native, emulated = (states(full_range, tmp_path / f"full-{e}.npy", emulate=e) for e in (False, True))
        assert np.abs(native - emulated).max() > 0.05

    native, emulated = (states(ours, tmp_path / f"ours-{e}.npy", emulate=e) for e in (False, True))
    assert native.shape == (2, 48, 384)
    assert np.abs(native - emulated).max() < 1e-4
