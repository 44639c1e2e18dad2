"""What the ``skfashion`` command runs: its models, budgets, grids and the write-ups' figures.

Plain data, imported by the command-line parser (:mod:`skfashion.cli`, for its
choices and help) and by the commands (:mod:`skfashion._commands`). It imports
nothing, so that ``skfashion --help`` stays fast. Measured figures of
skfashion's own runs live in the documentation (the results table of
``docs/index.rst`` and ``docs/performance.rst``), not here.
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

#: Said in every ``--quick`` report: where the figures of a full run are.
FULL_RUN_NOTE = (
    "This is a quick run. What a full run (no --quick: all 60,000 training images, "
    "each model's default budget) reaches, and how long it takes on 2 CPU cores, is "
    "in skfashion's documentation: the Results table (docs/index.rst) and "
    "docs/performance.rst."
)

#: The grids ``skfashion tune`` searches, per model.
GRIDS = {
    "lenet5": {"learning_rate": [3e-3, 1e-2], "weight_decay": [5e-4, 5e-3]},
    "cnn": {"filters": [(24, 48, 96), (32, 64, 128)], "label_smoothing": [0.0, 0.1]},
    "transfer": {"head_units": [(128,), (256,)], "dropout": [0.2, 0.5]},
}

#: ``--quick``: (training images, epochs) per model; ``None`` is all 60,000.
#: LeNet-5 is fast enough to get them all (its speed: docs/performance.rst).
QUICK_BUDGETS = {"cnn": (12_000, 8), "lenet5": (None, 15), "transfer": (12_000, 5)}

#: Largest number of epochs of a ``--sample`` run (smoke tests).
SAMPLE_MAX_EPOCHS = 5

#: Share of the embedded sample a ``--sample`` run tests on.
SAMPLE_TEST_FRACTION = 0.3

#: ``--input-size``: the transfer model's own default ``input_size``, written
#: out here so that ``skfashion --help`` needs no TensorFlow (a test keeps the
#: two equal); the accuracy and cost of 96x96 against 32x32 are in the user
#: guide (transfer learning, ``transfer-accuracy``).
TRANSFER_INPUT_SIZE = 96
