"""minigan.metrics against closed forms, independent computations and the cases with known answers."""
import math

import numpy as np
import pytest

from minigan import metrics


def with_moments(rng, n, mean, cov):
    """n samples whose *sample* mean and covariance are exactly ``mean`` and ``cov`` (whitened, then coloured)."""
    z = rng.standard_normal((n, len(mean)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T  # sample covariance exactly I
    return np.asarray(mean) + z @ np.linalg.cholesky(cov).T


# ---------------------------------------------------------------------------------------------- Fréchet distance
def test_frechet_distance_of_diagonal_gaussians_is_the_closed_form():
    rng = np.random.default_rng(0)
    mu1, mu2 = np.array([0.0, 1.0, -2.0, 0.5]), np.array([1.0, 1.0, 0.0, 0.0])
    s1, s2 = np.array([1.0, 4.0, 0.25, 2.0]), np.array([2.0, 1.0, 0.25, 9.0])
    x, y = with_moments(rng, 300, mu1, np.diag(s1)), with_moments(rng, 300, mu2, np.diag(s2))
    expected = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(s1) - np.sqrt(s2)) ** 2).sum()
    assert metrics.frechet_distance(x, y) == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_of_correlated_2d_gaussians_matches_the_cayley_hamilton_formula():
    # For 2x2 M with positive eigenvalues, Cayley-Hamilton gives tr M^(1/2) = sqrt(tr M + 2 sqrt(det M)).
    rng = np.random.default_rng(1)
    c1, c2 = np.array([[2.0, 1.2], [1.2, 1.0]]), np.array([[1.0, -0.6], [-0.6, 3.0]])
    mu1, mu2 = np.array([0.0, 0.0]), np.array([0.5, -1.0])
    product = c1 @ c2
    trace_root = math.sqrt(np.trace(product) + 2 * math.sqrt(np.linalg.det(product)))
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(c1) + np.trace(c2) - 2 * trace_root
    x, y = with_moments(rng, 200, mu1, c1), with_moments(rng, 200, mu2, c2)
    assert metrics.frechet_distance(x, y) == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_in_many_dimensions_matches_scipy_sqrtm():
    linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((400, 16)) @ rng.standard_normal((16, 16))
    y = rng.standard_normal((400, 16)) @ rng.standard_normal((16, 16)) + 0.3
    c1, c2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    expected = (((x.mean(0) - y.mean(0)) ** 2).sum()
                + np.trace(c1 + c2 - 2 * linalg.sqrtm(c1 @ c2).real))
    assert metrics.frechet_distance(x, y) == pytest.approx(expected, rel=1e-7)


def test_frechet_distance_of_a_set_with_itself_is_zero_even_with_singular_covariance():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((50, 128))  # fewer samples than dimensions: a singular covariance, whose
    # zero eigenvalues come out as +-1e-16 and their square roots as 1e-8: so "zero" means 1e-6 of the scale
    assert abs(metrics.frechet_distance(x, x)) < 1e-6 * np.trace(np.cov(x, rowvar=False))


def test_frechet_distance_of_two_samples_of_one_gaussian_is_small_and_biased_up():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((2000, 4)), rng.standard_normal((2000, 4))
    fd = metrics.frechet_distance(x, y)
    assert 0 < fd < 0.05  # > 0: finite samples never look identical


def test_comparing_sets_of_different_sizes_is_an_error():
    rng = np.random.default_rng(5)
    for fn in (metrics.frechet_distance, metrics.kernel_inception_distance, metrics.precision_recall,
               metrics.density_coverage):
        with pytest.raises(ValueError, match="same size"):
            fn(rng.standard_normal((20, 3)), rng.standard_normal((30, 3)))
    with pytest.raises(ValueError, match="same D"):
        metrics.frechet_distance(rng.standard_normal((20, 3)), rng.standard_normal((20, 4)))


# ---------------------------------------------------------------------------------------------- Inception Score
@pytest.mark.parametrize("used", [1, 3, 10])
def test_inception_score_of_one_hot_predictions_is_the_number_of_classes_used(used):
    predictions = np.eye(10)[np.arange(900) % used]  # every split holds each class equally often
    score, std = metrics.inception_score(predictions, splits=3)
    assert score == pytest.approx(used, rel=1e-12) and std == pytest.approx(0, abs=1e-12)


def test_inception_score_of_unsure_predictions_is_one():
    assert metrics.inception_score(np.full((50, 10), 0.1))[0] == pytest.approx(1.0)


def test_inception_score_matches_its_definition_and_reports_the_spread_of_splits():
    rng = np.random.default_rng(6)
    logits = rng.standard_normal((100, 5)) * 3
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    per_split = [math.exp(np.mean([sum(p * math.log(p / m) for p, m in zip(row, part.mean(0))) for row in part]))
                 for part in (probs[:50], probs[50:])]
    assert metrics.inception_score(probs, splits=2) == pytest.approx((np.mean(per_split), np.std(per_split)))


def test_inception_score_rejects_rows_that_are_not_probabilities():
    with pytest.raises(ValueError, match="sum to 1"):
        metrics.inception_score(np.ones((4, 10)))


# ---------------------------------------------------------------------------------------------- class histogram
def test_class_histogram_of_a_single_class_against_balanced_data():
    real = np.eye(10)[np.arange(500) % 10]
    result = metrics.class_histogram(np.eye(10)[np.full(500, 3)], real)
    assert result["kl"] == pytest.approx(math.log(10)) and result["classes"] == 1
    assert result["fake"][3] == 1.0 and result["real"] == [0.1] * 10
    same = metrics.class_histogram(real, real)
    assert same["kl"] == pytest.approx(0.0) and same["classes"] == 10


def test_class_histogram_counts_classes_above_two_percent():
    labels = np.concatenate([np.zeros(90, int), np.ones(9, int), [2]])  # 90%, 9%, 1%
    result = metrics.class_histogram(np.eye(10)[labels], np.eye(10)[np.arange(100) % 10])
    assert result["classes"] == 2


def test_class_histogram_is_infinite_for_a_class_the_real_data_never_gets():
    result = metrics.class_histogram(np.eye(3)[[0, 1, 2]], np.eye(3)[[0, 1, 1]])
    assert result["kl"] == math.inf


# ---------------------------------------------------------------------------------------------- k-NN manifolds
def two_gaussians(seed, n=300, dim=8):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, dim)), rng.standard_normal((n, dim))


def test_precision_recall_of_identical_sets_is_one():
    x, _ = two_gaussians(7)
    assert metrics.precision_recall(x, x) == (1.0, 1.0)


def test_precision_recall_of_two_samples_of_one_distribution_is_high_and_balanced():
    x, y = two_gaussians(8)
    precision, recall = metrics.precision_recall(x, y, k=3)
    assert 0.75 < precision < 1 and 0.75 < recall < 1 and abs(precision - recall) < 0.1


def test_precision_recall_of_far_apart_sets_is_zero():
    x, y = two_gaussians(9)
    assert metrics.precision_recall(x, y + 100) == (0.0, 0.0)


def test_precision_recall_sees_mode_collapse_as_high_precision_low_recall():
    rng = np.random.default_rng(10)
    centres = np.array([[-20.0, 0.0], [20.0, 0.0]])
    real = centres[np.arange(400) % 2] + rng.standard_normal((400, 2))
    collapsed = centres[0] + rng.standard_normal((400, 2))  # only one of the two modes
    precision, recall = metrics.precision_recall(real, collapsed)
    assert precision > 0.95 and 0.4 < recall < 0.55


def test_density_coverage_of_one_distribution_and_of_far_apart_sets():
    x, y = two_gaussians(11, n=400)
    density, coverage = metrics.density_coverage(x, y, k=5)
    assert 0.8 < density < 1.2 and abs(coverage - (1 - 2 ** -5)) < 0.05  # Naeem et al.'s expected values
    assert metrics.density_coverage(x, y + 100) == (0.0, 0.0)


def test_k_must_leave_neighbours():
    x, y = two_gaussians(12, n=5)
    with pytest.raises(ValueError, match="k must be"):
        metrics.precision_recall(x, y, k=5)


# ---------------------------------------------------------------------------------------------- KID
def test_kid_of_one_subset_is_the_unbiased_mmd_written_with_loops():
    x, y = two_gaussians(13, n=6, dim=3)
    y = y + 0.5

    def k(a, b):
        return (a @ b / 3 + 1) ** 3

    m = len(x)
    within = sum(k(x[i], x[j]) + k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    expected = within - 2 * sum(k(a, b) for a in x for b in y) / m ** 2
    value, std = metrics.kernel_inception_distance(x, y, subsets=3, subset_size=m)
    assert value == pytest.approx(expected, rel=1e-10) and std == pytest.approx(0, abs=1e-9)


def test_kid_is_near_zero_for_one_distribution_and_large_for_two():
    x, y = two_gaussians(14, n=400)
    same, same_std = metrics.kernel_inception_distance(x, y, subsets=50, subset_size=200)
    shifted, _ = metrics.kernel_inception_distance(x, y + 1, subsets=50, subset_size=200)
    assert abs(same) < 3 * same_std + 1e-3 and shifted > 50 * abs(same)
