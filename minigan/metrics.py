"""Metrics of generated samples: how far a set of fakes is from a set of real images, in numbers.

Every metric here compares two sets through a *feature extractor* -- the penultimate layer of a
classifier (features, one row per image) or its class probabilities p(y|x). The functions take
those NumPy arrays, not images, so they work with any network: ``python -m minigan.evaluate`` feeds
them the small CNNs of :mod:`minigan.evaluation.classifier`.

    metric                      asks                                          a perfect generator  source
    frechet_distance            are the feature distributions alike?          ~0 (lower: better)   Heusel 2017
    kernel_inception_distance   the same, unbiased at any N                   ~0 (lower: better)   Bińkowski 2018
    inception_score             are samples confident *and* varied?           as real data         Salimans 2016
    class_histogram             are the classes drawn in the right amounts?   KL 0, every class    --
    precision_recall            are fakes realistic? is the data covered?     as real vs real      Kynkäänniemi 2019
    density_coverage            the same, robust to outliers                  ~1, as real vs real  Naeem 2020

Three pitfalls hold for all of them:

* **The numbers belong to the feature extractor.** An FD computed with our MNIST classifier is
  not comparable to a published FID (Inception-v3 features), nor to one with another classifier.
* **They depend on the number of samples N.** FD and IS are biased estimators: the same
  generator scores a worse FD with N = 500 than with N = 10,000. Compare runs only at the same N
  (the functions that compare two sets insist that both have the same N) and always next to a
  reference -- real data against other real data, measured the same way.
* **A score is not a picture.** A generator that copies its training set scores perfectly on
  all of these; look at the samples too.
"""
from __future__ import annotations

import numpy


# ---------------------------------------------------------------------------------------------- helpers
def _two_sets(name, real, fake):
    """Both feature sets as float64 (N, D) arrays of the same shape, or a clear error."""
    real, fake = numpy.asarray(real, dtype=numpy.float64), numpy.asarray(fake, dtype=numpy.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"{name}: expected two feature arrays (N, D) with the same D, "
                         f"got {real.shape} and {fake.shape}")
    if len(real) != len(fake):
        raise ValueError(f"{name}: the two sets have {len(real)} and {len(fake)} samples; this estimate depends on N, "
                         "so compare sets of the same size")
    if len(real) < 2:
        raise ValueError(f"{name}: need at least 2 samples per set, got {len(real)}")
    return real, fake


def _probabilities(name, probs):
    probs = numpy.asarray(probs, dtype=numpy.float64)
    if probs.ndim != 2 or probs.min() < 0 or not numpy.allclose(probs.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError(f"{name}: expected class probabilities (N, C): non-negative rows that sum to 1")
    return probs


def _kl(p, q):
    """KL(p || q) = sum p log(p / q) over the entries with p > 0 (0 log 0 = 0); along the last axis."""
    terms = numpy.where(p > 0, p * (numpy.log(numpy.where(p > 0, p, 1.0)) - numpy.log(numpy.where(p > 0, q, 1.0))), 0.0)
    return terms.sum(axis=-1)


def _symmetric_sqrt(matrix):
    """The square root of a symmetric positive semi-definite matrix: V sqrt(L) V^T from its eigen-decomposition.

    Rounding can leave tiny negative eigenvalues (-1e-17) on a singular covariance; they are set to 0.
    """
    eigenvalues, eigenvectors = numpy.linalg.eigh(matrix)
    return (eigenvectors * numpy.sqrt(numpy.clip(eigenvalues, 0, None))) @ eigenvectors.T


# ---------------------------------------------------------------------------------------------- Fréchet distance
def frechet_distance(real, fake) -> float:
    """The Fréchet distance between Gaussians fitted to two feature sets (FID with our features).

        FD = ||mu_r - mu_f||^2 + tr( C_r + C_f - 2 (C_r C_f)^(1/2) )

    with mu, C the mean and covariance of each set's features. It is the squared 2-Wasserstein
    distance between N(mu_r, C_r) and N(mu_f, C_f): 0 for identical Gaussians, growing with a
    shift of the mean (the fakes look different on average) and with a difference in spread
    (too little variety, as in mode collapse, or too much).

    Source: Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local
    Nash Equilibrium" (FID); the formula is Dowson & Landau 1982.

    **The matrix square root.** C_r C_f is not symmetric, and a general ``sqrtm`` of it can return
    complex numbers from rounding errors. Only its trace is needed, and with S = C_r^(1/2) (symmetric)

        tr (C_r C_f)^(1/2) = tr (S C_f S)^(1/2) = sum_i sqrt(lambda_i(S C_f S))

    because C_r C_f = S (S C_f) and S C_f S = (S C_f) S have the same eigenvalues (AB and BA always
    do), and S C_f S is symmetric positive semi-definite: ``eigh`` computes its eigenvalues stably,
    even for singular covariances, and never returns complex numbers.

    Pitfalls: biased upwards at small N (E[FD] of two samples of one distribution is > 0 and
    shrinks like 1/N; Chong & Forsyth 2020), so both sets must have the same N and a real-vs-real
    reference at that N tells the floor. With N below the feature dimension (128 here) the
    covariances are singular: the number still orders runs, but is noisier. It sees only two
    moments: two very different distributions with equal means and covariances score 0.
    """
    real, fake = _two_sets("frechet_distance", real, fake)
    mean_term = float(((real.mean(axis=0) - fake.mean(axis=0)) ** 2).sum())
    cov_real, cov_fake = numpy.cov(real, rowvar=False), numpy.cov(fake, rowvar=False)
    root = _symmetric_sqrt(cov_real)
    cross = numpy.sqrt(numpy.clip(numpy.linalg.eigvalsh(root @ cov_fake @ root), 0, None)).sum()
    return mean_term + float(numpy.trace(cov_real) + numpy.trace(cov_fake) - 2 * cross)


# ---------------------------------------------------------------------------------------------- KID
def kernel_inception_distance(real, fake, subsets: int = 100, subset_size: int = 1000, seed: int = 0):
    """``(mean, std)`` of the Kernel Inception Distance over random subsets: an unbiased squared MMD.

        k(x, y)  = (x . y / D + 1)^3                           the cubic polynomial kernel, D = feature size
        MMD^2_u  = 1/(m(m-1)) sum_{i != j} k(r_i, r_j) + 1/(m(m-1)) sum_{i != j} k(f_i, f_j)
                   - 2/m^2 sum_{i, j} k(r_i, f_j)

    computed on ``subsets`` pairs of random subsets of ``subset_size`` samples (all of them when
    there are fewer), then averaged. Like FD it compares the two distributions in feature space,
    but through all the moments the kernel sees, and *unbiased*: its expectation is 0 when both sets
    come from one distribution, whatever N -- so single estimates can be slightly negative.

    Source: Bińkowski et al. 2018, "Demystifying MMD GANs" (KID and its kernel).

    Pitfalls: unbiased is not noise-free: at small N the std across subsets is of the order of
    the values themselves, so read it with its std. Its scale (often reported x 1000) is unlike FD's.
    """
    real, fake = _two_sets("kernel_inception_distance", real, fake)
    n, dim = real.shape
    m = min(subset_size, n)
    rng = numpy.random.default_rng(seed)
    values = []
    for _ in range(subsets):
        r, f = real[rng.choice(n, m, replace=False)], fake[rng.choice(n, m, replace=False)]
        k_rr, k_ff, k_rf = ((a @ b.T / dim + 1) ** 3 for a, b in ((r, r), (f, f), (r, f)))
        within = (k_rr.sum() - numpy.trace(k_rr) + k_ff.sum() - numpy.trace(k_ff)) / (m * (m - 1))
        values.append(within - 2 * k_rf.mean())
    return float(numpy.mean(values)), float(numpy.std(values))


# ---------------------------------------------------------------------------------------------- Inception Score
def inception_score(probs, splits: int = 1):
    """``(mean, std)`` of the (classifier) Inception Score over ``splits`` equal parts of the samples.

        IS = exp( E_x [ KL( p(y|x) || p(y) ) ] ),      p(y) = E_x [ p(y|x) ]  (the mean prediction)

    High when each sample is classified confidently (p(y|x) peaked) *and* the samples spread over
    the classes (p(y) flat). With C classes it lies between 1 (every sample gets the same
    prediction) and C (confident predictions, every class equally often): one-hot predictions
    spread evenly over k classes score exactly k. Real data scores a little below C.

    Source: Salimans et al. 2016, "Improved Techniques for Training GANs"; the original takes
    10 splits of 50,000 samples and reports mean and std across the splits.

    Pitfalls: it never looks at real data -- a generator that draws one perfect digit per class
    scores the maximum (it cannot see missing variety *within* a class), and it rewards
    confidence, not realism. p(y) is estimated from each split, which biases the score down for
    small splits. Its value depends entirely on the classifier (Barratt & Sharma 2018, "A Note on
    the Inception Score").
    """
    probs = _probabilities("inception_score", probs)
    if not 1 <= splits <= len(probs):
        raise ValueError(f"inception_score: splits must be between 1 and the number of samples, got {splits}")
    scores = [numpy.exp(_kl(part, part.mean(axis=0)).mean()) for part in numpy.array_split(probs, splits)]
    return float(numpy.mean(scores)), float(numpy.std(scores))


# ---------------------------------------------------------------------------------------------- class histogram
def class_histogram(fake_probs, real_probs, min_share: float = 0.02) -> dict:
    """How often each class is drawn, compared with the real data: mode dropping in two numbers.

        h_fake(c) = fraction of fakes whose predicted class is c     (argmax of p(y|x))
        h_real(c) = the same for the real samples
        kl        = KL(h_fake || h_real) = sum_c h_fake(c) log(h_fake(c) / h_real(c))
        classes   = the number of classes holding at least ``min_share`` (2%) of the fakes

    Returns ``{"kl", "classes", "fake": h_fake, "real": h_real}`` (histograms as lists). A generator
    that draws every class as often as the data does scores kl = 0 and all 10 classes; one that
    draws a single class out of 10 balanced ones scores kl = log 10 = 2.30 and classes = 1.

    Pitfalls: the classifier's errors blur the histogram (a blob it calls "8" counts as an 8), so
    compare with real data measured the same way (hence h_real from predictions, not labels).
    kl is infinite if the fakes use a class the real samples never get. Like IS, it cannot see
    missing variety within a class.
    """
    fake_probs = _probabilities("class_histogram", fake_probs)
    real_probs = _probabilities("class_histogram", real_probs)
    if fake_probs.shape[1] != real_probs.shape[1]:
        raise ValueError(f"class_histogram: {fake_probs.shape[1]} and {real_probs.shape[1]} classes")
    classes = fake_probs.shape[1]
    fake = numpy.bincount(fake_probs.argmax(axis=1), minlength=classes) / len(fake_probs)
    real = numpy.bincount(real_probs.argmax(axis=1), minlength=classes) / len(real_probs)
    with numpy.errstate(divide="ignore"):  # a class the real samples lack gives log(h / 0) = inf, as it should
        kl = float(_kl(fake, real))
    return {"kl": kl, "classes": int((fake >= min_share).sum()), "fake": fake.tolist(), "real": real.tolist()}


# ---------------------------------------------------------------------------------------------- k-NN manifolds
def _distances(a, b):
    """Euclidean distances between every row of a (N, D) and of b (M, D): (N, M), via |a|^2 + |b|^2 - 2 a.b."""
    squared = (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2 * a @ b.T
    return numpy.sqrt(numpy.clip(squared, 0, None))


def _knn_radii(points, k):
    """Each point's distance to its k-th nearest neighbour among the other points (the point itself is 0th)."""
    return numpy.partition(_distances(points, points), k, axis=1)[:, k]


def _check_k(name, k, n):
    if not 1 <= k < n:
        raise ValueError(f"{name}: k must be between 1 and N - 1 = {n - 1}, got {k}")


def precision_recall(real, fake, k: int = 3):
    """``(precision, recall)`` of the fakes against the real samples, with k-NN manifolds.

    Each set's *manifold* is the union of balls around its points, each ball reaching to that
    point's k-th nearest neighbour in the same set:

        precision = fraction of fakes that lie inside the real manifold      (are the fakes realistic?)
        recall    = fraction of real samples inside the fake manifold        (is all of the data covered?)

    A generator of perfect but few kinds of digits (mode collapse) has high precision, low recall;
    one that smears blobs everywhere the reverse. FD mixes both failures into one number.

    Source: Kynkäänniemi et al. 2019, "Improved Precision and Recall Metric for Assessing
    Generative Models" (k = 3 there), after Sajjadi et al. 2018.

    Pitfalls: an outlier among the real samples has a huge ball that swallows many fakes,
    inflating precision (``density_coverage`` is robust to that). Larger N makes balls smaller;
    two samples of one distribution score clearly below 1 (in 128 dimensions), so read the values
    next to the real-vs-real row at the same N. Memory grows as N^2 (N = 10,000 takes ~1 GB).
    """
    real, fake = _two_sets("precision_recall", real, fake)
    _check_k("precision_recall", k, len(real))
    between = _distances(fake, real)  # between[i, j] = |fake_i - real_j|
    precision = (between <= _knn_radii(real, k)[None, :]).any(axis=1).mean()
    recall = (between <= _knn_radii(fake, k)[:, None]).any(axis=0).mean()
    return float(precision), float(recall)


def density_coverage(real, fake, k: int = 5):
    """``(density, coverage)`` of the fakes against the real samples (balls around real points only).

        density  = 1/(k M) sum_j  #{ real balls B(r_i, NND_k(r_i)) that contain fake f_j }
        coverage = 1/N     sum_i  1[ some fake lies in the real ball B(r_i, NND_k(r_i)) ]

    with NND_k(r_i) the distance from r_i to its k-th nearest real neighbour. Density is a
    precision that counts *how many* real balls hold each fake, so a lone real outlier cannot
    vouch for many fakes; it is about 1 for a perfect generator and can exceed 1. Coverage is a
    recall that uses only the real balls, so the fakes' outliers cannot fake coverage; about
    1 - 2^-k for a perfect generator.

    Source: Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for Generative Models"
    (k = 5 there).

    Pitfalls: as for ``precision_recall``: depends on N, k and the features; compare with real vs real.
    """
    real, fake = _two_sets("density_coverage", real, fake)
    _check_k("density_coverage", k, len(real))
    inside = _distances(fake, real) <= _knn_radii(real, k)[None, :]  # inside[j, i]: fake j in real ball i
    return float(inside.sum() / (k * len(fake))), float(inside.any(axis=0).mean())
