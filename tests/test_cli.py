"""The ``skfashion`` command, run as users run it: in a subprocess, on the embedded sample."""

import copy
import json
import os
import subprocess
import sys
from importlib import metadata

import pytest

from skfashion import _files, _report
from skfashion._compat import keras_file_utils
from skfashion._grids import GRIDS, MODEL_NAMES, TRANSFER_INPUT_SIZE, WRITE_UP
from skfashion.cli import main

pytest.importorskip("matplotlib", reason="the report's PNGs need the [plot] extra")


def run_cli(*args, cwd):
    """Run ``python -m skfashion *args`` in ``cwd``; return the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "skfashion", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def assert_files(folder, names):
    for name in names:
        path = folder / name
        assert path.is_file() and path.stat().st_size > 0, f"{name} missing or empty"
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert not leftovers, f"temporary files left behind: {leftovers}"


def test_compare_on_the_sample_writes_table_and_report(tmp_path):
    proc = run_cli("compare", "--sample", "--epochs", "1", "--models", "lenet5,transfer",
                   "--out", "report", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("SUBSET: the embedded sample, 700 training / 300 test images")
    assert "| model | test accuracy | write-up |" in out
    assert "| lenet5 | **" in out and "| transfer | **" in out and "| cnn |" not in out
    assert "89.82 % (validation)" in out and "ResNet152V2 72.31 %" in out
    # Progress went to stderr, not into the table.
    assert "[lenet5] training LeNet5Classifier on 700 images" in proc.stderr
    assert "extracting frozen efficientnet_lite0 features" in proc.stderr

    folder = tmp_path / "report"
    assert_files(folder, ["report.md", "results.json"] + [
        f"{kind}_{model}.png"
        for kind in ("predictions", "confusion", "learning_curves")
        for model in ("lenet5", "transfer")
    ])
    results = json.loads((folder / "results.json").read_text())
    assert results["subset"] is True and results["command"] == "compare"
    assert [m["model"] for m in results["models"]] == ["lenet5", "transfer"]
    for model in results["models"]:
        assert 0.0 <= model["test_accuracy"] <= 1.0 and model["epochs_run"] == 1
        assert len(model["history"]["loss"]) == 1
    # Whether each model trained on shifted and flipped images (test_augmented_*).
    assert [m["augmented"] for m in results["models"]] == [False, False]
    # Real ImageNet features learn in one epoch what random guessing cannot.
    assert results["models"][1]["test_accuracy"] > 0.3
    report = (folder / "report.md").read_text()
    assert "SUBSET" in report and "![predictions_transfer.png]" in report
    assert "without random shifts and flips" in report


def test_cv_quiet_prints_only_the_table(tmp_path):
    proc = run_cli("cv", "--sample", "--model", "cnn", "--folds", "2", "--epochs", "1",
                   "--quiet", "--out", "cv", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "| fold | accuracy | fit time |" in proc.stdout
    assert "cnn: 2-fold CV accuracy" in proc.stdout
    assert_files(tmp_path / "cv", ["report.md", "results.json", "cv_scores.png"])
    results = json.loads((tmp_path / "cv" / "results.json").read_text())
    accuracy = results["accuracy"]
    assert len(accuracy) == 2 and results["folds"] == 2
    assert results["mean_accuracy"] == pytest.approx(sum(accuracy) / 2)
    assert results["std_accuracy"] == pytest.approx(abs(accuracy[0] - accuracy[1]) / 2)
    # The printed table and summary, and the report, show the same figures.
    summary = (f"cnn: 2-fold CV accuracy {100 * results['mean_accuracy']:.2f} % ± "
               f"{100 * results['std_accuracy']:.2f} %")
    report = (tmp_path / "cv" / "report.md").read_text()
    for fold, (a, t) in enumerate(zip(accuracy, results["fit_seconds"]), start=1):
        row = f"| {fold} | {100 * a:.2f} % | {t:.1f} s |"
        assert row in proc.stdout and row in report
    assert summary in proc.stdout and summary in report


def test_tune_reports_every_candidate(tmp_path):
    proc = run_cli("tune", "--sample", "--model", "transfer", "--folds", "2",
                   "--epochs", "2", "--out", "tune", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "| rank | parameters | CV accuracy | mean fit time |" in proc.stdout
    assert "best: " in proc.stdout and "test accuracy of the refit model" in proc.stdout
    assert "[CV" in proc.stderr  # scikit-learn's per-fold progress, kept off stdout
    results = json.loads((tmp_path / "tune" / "results.json").read_text())
    grid = GRIDS["transfer"]
    assert len(results["candidates"]) == len(grid["head_units"]) * len(grid["dropout"])
    assert results["best_params"] == results["candidates"][0]["params"]
    ranks = [c["rank"] for c in results["candidates"]]
    assert ranks == sorted(ranks) and ranks[0] == 1
    assert results["best_cv_accuracy"] == results["candidates"][0]["mean_accuracy"]
    # Real ImageNet features learn in two epochs what random guessing cannot.
    assert results["test_accuracy"] > 0.3
    test_line = f"test accuracy of the refit model {100 * results['test_accuracy']:.2f} %"
    assert test_line in proc.stdout
    assert test_line in (tmp_path / "tune" / "report.md").read_text()


def test_bad_argument_exits_non_zero_in_a_subprocess(tmp_path):
    proc = run_cli("compare", "--models", "vgg", cwd=tmp_path)
    assert proc.returncode == 2
    assert "--models" in proc.stderr and "cnn, lenet5, transfer" in proc.stderr
    assert proc.stdout == "" and not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    "argv, message",
    [
        ([], "required: command"),
        (["fit"], "invalid choice: 'fit'"),
        (["compare", "--models", ""], "argument --models: expected a comma-separated list"),
        (["compare", "--epochs", "0"], "expected a positive integer, got '0'"),
        (["compare", "--epochs", "many"], "expected a positive integer, got 'many'"),
        (["compare", "--input-size", "16"], "--input-size: must be at least 32, got 16"),
        (["compare", "--quick", "--sample"], "not allowed with argument --quick"),
        (["compare", "--backbone", "vgg61"], "invalid choice: 'vgg61'"),
        (["compare", "--sample", "--data-home", "."], "--data-home: not allowed with"),
        (["compare", "--data-home", ""], "--data-home: expected a folder, got an empty path"),
        (["compare", "--seed", "-1"], "--seed: expected an integer from 0 to 2**32 - 1, got '-1'"),
        (["compare", "--seed", "4294967296"], "--seed: expected an integer from 0 to 2**32"),
        (["cv", "--n-jobs", "0"], "--n-jobs: expected a nonzero integer (-1 for all cores)"),
        (["tune", "--n-jobs", "two"], "--n-jobs: expected a nonzero integer"),
        (["cv", "--folds", "1"], "--folds: must be at least 2, got 1"),
        (["cv", "--model", "resnet"], "invalid choice: 'resnet'"),
        (["tune", "--no-plots"], "unrecognized arguments: --no-plots"),
    ],
)
def test_bad_arguments_name_the_argument(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_out_must_be_a_folder(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--sample", "--out", str(target)])
    assert exc.value.code == 2
    assert "exists and is not a folder" in capsys.readouterr().err


def test_run_failure_exits_1_with_the_reason(tmp_path, capsys):
    status = main(["compare", "--models", "lenet5", "--train-size", "70000",
                   "--no-plots", "--out", str(tmp_path / "r")])
    assert status == 1
    err = capsys.readouterr().err
    assert "skfashion compare: error: --train-size 70,000 is larger than the 60,000" in err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("argv, message", [
    (["compare", "--models", "lenet5,transfer", "--train-size", "50"],
     "transfer cannot train on these 50 images: validation_split=0.1 holds out 5"),
    (["cv", "--model", "transfer", "--train-size", "100"],
     "transfer cannot train on these 90 images: validation_split=0.1 holds out 9"),
])
def test_too_few_images_for_a_model_stop_the_run_before_training(tmp_path, capsys, argv,
                                                                  message):
    status = main([*argv, "--no-plots", "--out", str(tmp_path / "r")])
    assert status == 1
    err = capsys.readouterr().err
    assert message in err and "--train-size" in err.split(message)[1]
    assert "] training" not in err and "Building" not in err  # stopped before anything
    assert not (tmp_path / "r").exists()


def test_missing_backbone_weights_stop_the_run_before_training(tmp_path, capsys,
                                                                monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # no weights there
    monkeypatch.setattr(keras_file_utils(), "get_file", _offline_get_file)
    status = main(["compare", "--sample", "--models", "lenet5,transfer", "--backbone",
                   "vgg16", "--no-plots", "--out", str(tmp_path / "r")])
    assert status == 1
    err = capsys.readouterr().err
    assert "Could not get the ImageNet weights of backbone 'vgg16'" in err
    assert "[lenet5] training" not in err  # stopped before training anything
    assert not (tmp_path / "r").exists()


def _offline_get_file(*args, **kwargs):
    raise Exception("URL fetch failure: no internet in this test")


def test_console_script_and_version(capsys):
    (script,) = [e for e in metadata.entry_points(group="console_scripts")
                 if e.name == "skfashion"]
    assert script.value == "skfashion.cli:main"
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("skfashion ")


def test_every_model_has_a_grid_and_a_write_up():
    assert set(GRIDS) == set(WRITE_UP) == set(MODEL_NAMES)


def test_the_cli_input_size_is_the_estimators_default():
    """``--input-size`` is written out in _grids (no TensorFlow for --help)."""
    import inspect

    from skfashion import BackboneFeatures, TransferClassifier
    from skfashion.backbones import build_feature_extractor

    defaults = {TransferClassifier().input_size, BackboneFeatures().input_size,
                inspect.signature(build_feature_extractor).parameters["input_size"].default}
    assert defaults == {TRANSFER_INPUT_SIZE}


def test_epoch_progress_survives_clone():
    from sklearn.base import clone

    from skfashion import LeNet5Classifier
    from skfashion._commands import EpochProgress

    est = LeNet5Classifier(callbacks=[EpochProgress("lenet5")])
    copied = clone(est)
    (callback,) = copied.callbacks
    assert isinstance(callback, EpochProgress) and callback is not est.callbacks[0]
    assert callback.desc == "lenet5" and callback._bar is None
    assert copy.deepcopy(callback).desc == "lenet5"


def test_markdown_table():
    table = _report.markdown_table(["a", "b"], [[1, "x"], [2.5, "y"]])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| 1 | x |", "| 2.5 | y |"]


def test_atomic_write_leaves_nothing_half_written(tmp_path):
    path = tmp_path / "results.json"
    _report.write_json(path, {"a": 1})
    with pytest.raises(ValueError, match="Out of range float"):
        _report.write_json(path, {"a": float("nan")})
    assert json.loads(path.read_text()) == {"a": 1}

    def broken(f):
        f.write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        _files.atomic_write(path, broken)
    assert json.loads(path.read_text()) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


# ------------------------------------------------------ all-or-nothing report folders


def snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_an_interrupted_rerun_leaves_the_previous_report_intact(tmp_path, monkeypatch,
                                                                 capsys):
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.md").write_text("# the previous run, seed 1\n")
    (out / "results.json").write_text('{"seed": 1}\n')
    (out / "confusion_cnn.png").write_bytes(b"\x89PNG previous")
    before = snapshot(out)
    argv = ["compare", "--sample", "--epochs", "1", "--models", "lenet5", "--quiet",
            "--out", str(out)]

    real_write_text = _report.write_text

    def interrupted(path, text):  # PNGs and results.json written, then Ctrl-C
        if path.name != "report.md":
            return real_write_text(path, text)
        assert (path.parent / "results.json").is_file()
        raise KeyboardInterrupt

    monkeypatch.setattr(_report, "write_text", interrupted)
    assert main(argv) == 130
    assert snapshot(out) == before  # not one file of the new run
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no staging left

    monkeypatch.setattr(_report, "write_text", real_write_text)
    assert main(argv) == 0
    after = snapshot(out)
    # The whole folder is the new run's: the old model's PNG is gone too.
    assert sorted(after) == ["confusion_lenet5.png", "learning_curves_lenet5.png",
                             "predictions_lenet5.png", "report.md", "results.json"]
    assert json.loads(after["results.json"])["seed"] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
    capsys.readouterr()


def _no_training(*args, **kwargs):
    raise AssertionError("data were loaded or a model trained before --out was checked")


@pytest.mark.parametrize("argv", [
    ["compare", "--no-plots"],
    ["cv", "--no-plots"],
    ["cv"],
    ["tune"],
])
def test_an_unwritable_out_fails_before_training(tmp_path, monkeypatch, capsys, argv):
    from skfashion import _commands

    monkeypatch.setattr(_commands, "load_data", _no_training)
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    status = main([*argv, "--sample", "--out", str(blocker / "report")])
    assert status == 1
    err = capsys.readouterr().err
    assert f"error: --out {str(blocker / 'report')!r}: cannot write the report" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_out_fails_before_training(tmp_path, monkeypatch, capsys):
    from skfashion import _commands

    monkeypatch.setattr(_commands, "load_data", _no_training)
    tmp_path.chmod(0o555)
    try:
        status = main(["tune", "--sample", "--out", str(tmp_path / "report")])
    finally:
        tmp_path.chmod(0o755)
    assert status == 1
    assert "cannot write the report" in capsys.readouterr().err


def test_an_out_folder_with_other_files_is_never_replaced(tmp_path, monkeypatch, capsys):
    from skfashion import _commands

    monkeypatch.setattr(_commands, "load_data", _no_training)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "report.md").write_text("old")
    (out / "thesis.tex").write_text("months of work")
    status = main(["cv", "--no-plots", "--sample", "--out", str(out)])
    assert status == 1
    err = capsys.readouterr().err
    assert "holds files that are not a skfashion report ('thesis.tex')" in err
    assert (out / "thesis.tex").read_text() == "months of work"


def test_augmented_is_what_the_fitted_network_was_trained_with(noise4):
    from skfashion import CNNClassifier, TransferClassifier
    from skfashion._commands import _augmented

    X, y = noise4
    tiny = dict(filters=(4,), convs_per_block=1, epochs=1, random_state=0)
    assert _augmented(CNNClassifier(**tiny).fit(X, y)) is False  # "auto" at 1 epoch
    assert _augmented(CNNClassifier(augment=True, **tiny).fit(X, y)) is True
    # The transfer model has no "auto": its augment is the answer.
    assert _augmented(TransferClassifier(fine_tune_layers=1, augment=True)) is True
    assert _augmented(TransferClassifier()) is False
