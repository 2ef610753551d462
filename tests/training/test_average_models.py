"""Averaging an answer model with its continuation (training/average_models.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from training.average_models import main


def model(folder: Path, value: float, base: str = "all-MiniLM-L6-v2", shape: tuple[int, ...] = (2, 3)) -> Path:
    folder.mkdir()
    tensors = {"classifier.weight": np.full(shape, value, dtype=np.float16), "span.bias": np.full(2, value, np.float16)}
    save_file(tensors, str(folder / "weights.safetensors"))
    card = {"name": "answer", "version": str(value), "base_model": base, "training_data": {"questions": int(value)}}
    (folder / "model.json").write_text(json.dumps(card | {"selection": {"cheap_weight": 4.0}}), encoding="utf-8")
    return folder


def test_average_weighs_the_second_model_by_its_share_and_drops_the_old_calibration(tmp_path: Path) -> None:
    first, second = model(tmp_path / "a", 1.0), model(tmp_path / "b", 3.0)
    assert main([str(first), str(second), "--share", "0.25", "--out", str(tmp_path / "mix"), "--version", "9"]) == 0
    mixed = load_file(str(tmp_path / "mix" / "weights.safetensors"))
    assert mixed["classifier.weight"].dtype == np.float16
    assert np.allclose(mixed["classifier.weight"], 1.5) and np.allclose(mixed["span.bias"], 1.5)
    card = json.loads((tmp_path / "mix" / "model.json").read_text(encoding="utf-8"))
    assert "selection" not in card  # to be calibrated again
    assert card["averaged"]["share_of_second"] == 0.25 and card["version"] == "9"
    assert card["averaged"]["first"]["training_data"] == {"questions": 1}


def test_models_that_do_not_match_are_refused_with_a_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = model(tmp_path / "a", 1.0)
    other_base = model(tmp_path / "b", 2.0, base="another-model")
    other_shape = model(tmp_path / "c", 2.0, shape=(4, 3))
    out = str(tmp_path / "mix")
    assert main([str(first), str(other_base), "--out", out]) == 2
    assert "different base models" in capsys.readouterr().err
    assert main([str(first), str(other_shape), "--out", out]) == 2
    assert "different tensors" in capsys.readouterr().err
    assert main([str(first), str(tmp_path / "missing"), "--out", out]) == 2
    assert "holds no trained answer model" in capsys.readouterr().err
    assert main([str(first), str(first), "--share", "1.5", "--out", out]) == 2
    assert "from 0 to 1" in capsys.readouterr().err
    assert not (tmp_path / "mix").exists()
