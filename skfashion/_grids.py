"""What the ``skfashion`` command runs: its models, budgets, grids and the write-ups' figures.

Plain data, imported by the command-line parser (:mod:`skfashion.cli`, for its
choices and help) and by the commands (:mod:`skfashion._commands`). It imports
nothing, so that ``skfashion --help`` stays fast.
"""

#: Models of the comparison, by command-line name.
MODEL_NAMES = ("cnn", "lenet5", "transfer")

#: The original write-ups' figures, next to which ours are printed.
WRITE_UP = {
    "cnn": "92.07 % (test)",
    "lenet5": "89.82 % (validation)",
    "transfer": "92.04 % (VGG16 at 32x32, test)",
}
WRITE_UP_NOTE = (
    "The write-ups' other transfer runs: ResNet152V2 72.31 %; EfficientNetB1 and "
    "VGG16 10 % (one class predicted for every image: EfficientNet was fed [0, 1] "
    "pixels instead of [0, 255]). skfashion applies each backbone's own "
    "preprocessing inside the model, on raw pixels."
)

#: What a full run of ``skfashion compare`` (no ``--quick``) reached with the
#: defaults, said in every ``--quick`` report (measured as docs/performance.rst says).
FULL_RUN_NOTE = (
    "A full run (all 60,000 training images, each model's default budget) reached "
    "on 2 CPU cores: cnn 93.58 % in 731 s, lenet5 91.25 % in 62 s, transfer (frozen, "
    "96x96) 90.39 % in 123 s, or 93.86 % fine-tuned in 3,202 s."
)

#: The grids ``skfashion tune`` searches, per model.
GRIDS = {
    "lenet5": {"learning_rate": [3e-3, 1e-2], "weight_decay": [5e-4, 5e-3]},
    "cnn": {"filters": [(24, 48, 96), (32, 64, 128)], "label_smoothing": [0.0, 0.1]},
    "transfer": {"head_units": [(128,), (256,)], "dropout": [0.2, 0.5]},
}

#: ``--quick``: (training images, epochs) per model; ``None`` is all 60,000.
#: LeNet-5 trains at about 20,000 images/s on 2 CPU cores, so it gets them all.
QUICK_BUDGETS = {"cnn": (12_000, 8), "lenet5": (None, 15), "transfer": (12_000, 5)}

#: Largest number of epochs of a ``--sample`` run (smoke tests).
SAMPLE_MAX_EPOCHS = 5

#: Default input size of the transfer model: frozen EfficientNet-Lite0 scored
#: 90.39 % at 96x96 and 82.78 % at 32x32 on the full data (benchmarks/transfer_full.py).
TRANSFER_INPUT_SIZE = 96
SAMPLE_TEST_FRACTION = 0.3
