// Gaussian mixtures with scikit-learn's semantics: GaussianMixture (EM) and BayesianGaussianMixture (variational,
// Dirichlet-process or Dirichlet-distribution weight prior, Gaussian-Wishart prior on each component), with full,
// diagonal, tied or spherical covariances. Restarts run on a thread pool; each restart draws from its own generator
// seeded from (seed, restart), so the result does not depend on the number of threads.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

namespace lowrank {

enum class CovarianceKind { Full, Diag, Tied, Spherical };
enum class MixtureInit { KMeansPlusPlus, KMeans, Random };

struct MixturePrior {
  bool dirichletProcess = true;
  double weightConcentration = 0;  // > 0
  double meanPrecision = 0;        // > 0
  double degreesOfFreedom = 0;     // > D - 1
  std::vector<double> mean;        // [D]; empty: the data mean
  std::vector<double> covariance;  // [D, D] (full, tied), [D] (diag), [1] (spherical); empty: from the data (ddof 1)
};

struct MixtureSettings {
  int components = 1;
  bool variational = false;
  CovarianceKind covariance = CovarianceKind::Full;
  int restarts = 1;
  MixtureInit init = MixtureInit::KMeansPlusPlus;
  int maxIterations = 100;
  double tolerance = 1e-3;
  double regCovar = 1e-6;
  uint64_t seed = 0;
  int threads = 1;
  std::vector<int32_t> initialLabels;  // [N] in 0..K-1: every restart starts from these hard labels instead of `init`
  MixturePrior prior;
};

// A mixture as the scoring functions need it. Covariances are full [K, D, D] matrices whatever the kind. For a
// variational mixture, logWeights are E[log pi_k] and meanPrecision / degreesOfFreedom the posterior's (scikit-learn
// scores samples with these expectations); for EM logWeights = log(weights) and the other two are empty.
struct MixtureModel {
  int K = 0, D = 0;
  bool variational = false;
  std::vector<double> weights, means, covariances, logWeights, meanPrecision, degreesOfFreedom;
};

struct MixtureFit {
  MixtureModel model;
  std::vector<int32_t> labels;
  double logLikelihood = 0;  // mean per sample of log sum_k exp(weighted log prob) (scikit-learn's score)
  double plugInLogLikelihood = 0;  // mean log density of the mixture (weights, means, covariances)
  double bic = 0, aic = 0, lowerBound = 0;
  bool converged = false, aborted = false;
  int iterations = 0, bestRestart = 0, requested = 0;
};

// Fits x [N, D] (row-major). Throws std::range_error for sizes and for data a covariance cannot be fitted to.
// `onRestart(done)` is called (from any thread, serialised) after each restart; `abort` is polled every iteration.
MixtureFit fit_mixture(const double* x, int N, int D, const MixtureSettings& s, const std::atomic<bool>* abort = nullptr,
                       const std::function<void(int)>& onRestart = {});

// Log responsibilities [N, K] and per-sample log sum_k exp(weighted log prob) [N] of x [N, D] under the model.
void mixture_score(const MixtureModel& m, const double* x, int N, double* logResp, double* logProbNorm);

// Free parameters of a mixture (scikit-learn's _n_parameters).
int mixture_parameter_count(CovarianceKind kind, int K, int D);

}  // namespace lowrank
