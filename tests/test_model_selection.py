"""Successive halving over the training budget, on every classifier."""

import numpy as np
import pytest
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import HalvingGridSearchCV

from skfashion import CNNClassifier, LeNet5Classifier, TransferClassifier

ESTIMATORS = {
    # Flattened, not pooled: the classes differ by where their bright row is.
    "cnn": lambda: CNNClassifier(filters=(4,), global_pool=False, random_state=0),
    "lenet5": lambda: LeNet5Classifier(random_state=0),
    # Random backbone weights: the search's mechanics, not the features.
    "transfer": lambda: TransferClassifier(weights=None, input_size=32, head_units=(),
                                           random_state=0, validation_split=0.0,
                                           lr_schedule="cosine"),
}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 40)
    X = rng.integers(0, 80, size=(120, 16, 16), dtype=np.uint8)
    X[np.arange(120), y * 5 + 2, :] = 255  # one bright row per class: learnable
    return X, y


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_halving_grid_search_over_epochs(name, data):
    X, y = data
    search = HalvingGridSearchCV(
        ESTIMATORS[name](),
        {"learning_rate": [1e-3, 1e-2]},
        resource="epochs",
        min_resources=1,
        max_resources=2,
        factor=2,
        cv=2,
        random_state=0,
    )
    search.fit(X, y)
    assert list(search.n_resources_) == [1, 2]
    assert list(search.n_candidates_) == [2, 1]
    # Every round trained its candidates for exactly its number of epochs...
    assert sorted(set(search.cv_results_["n_resources"])) == [1, 2]
    # ... and the refitted best estimator for the last round's budget.
    best = search.best_estimator_
    assert best.epochs == 2 and len(best.history_["loss"]) == 2
    assert search.score(X, y) > 0.5
