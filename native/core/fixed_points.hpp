// Fixed and slow points (Sussillo & Barak 2013): minimisation of q(x) = |F(x)|^2 / 2 over a batch of candidates,
// first with Adam (each candidate with its own plateau-reduced learning rate), then Levenberg-Marquardt in double
// precision; then distance outliers, duplicates and the eigenpairs of the Jacobian at each distinct point. Also the
// linearisation of given states and the noise-free settling runs of the fixed-point topology graph.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "dynamics.hpp"
#include "eigen_decomposition.hpp"

namespace lowrank {

enum class EigenMethod { Auto, Dense, Reduced };

struct LinearizeOptions {
  EigenMethod method = EigenMethod::Auto;
  bool rightVectors = false, leftVectors = false;
  int threads = 1;
  // The reduced problems solved elsewhere (the CUDA backend), with the same results: states and drives are rows x N,
  // row-major; done(points finished) may be called as they finish; abort is polled. Empty: on the CPU.
  std::function<std::vector<Eigenpairs>(const double* states, const double* drives, int rows,
                                        const std::function<void(int)>& done, const std::atomic<bool>* abort)>
      reducedSolver;
};

// True when the eigenpairs at a state come from the reduced R x R problem: a low-rank net whose Jacobian is -I plus a
// rank-R term (no autapse correction). Throws when `method` asks for a reduced problem the net does not have.
bool uses_reduced_problem(const ModelSpec& spec, EigenMethod method);

// Eigenpairs of the Jacobian at each state (rows x N) with its drive (rows x N, see VectorField::drive). Reduced:
// the R pairs that differ from -1 (the other N - R eigenvalues are -1). Dense: all N.
std::vector<Eigenpairs> linearize(const VectorField<double>& field, const RowMatrix<double>& states,
                                  const RowMatrix<double>& drives, const LinearizeOptions& opts);

struct FixedPointOptions {
  // latent: low-rank nets without no-autapse only (latent_fixed_points.hpp): instead of the two phases below, each
  // candidate's state projected to kappa, plus latentStarts starts spread over kappa space (seeded by seed), runs
  // Levenberg-Marquardt on the R equations (at most latentIterations steps); the roots are lifted to N dimensions
  // and confirmed there (q of the N-dimensional field). Candidates whose start led to no root are polished in N
  // dimensions as below (slow points off the plane).
  bool latent = false;
  // newton: instead of the two phases below, batched Newton-GMRES from every candidate's initial state
  // (newton_krylov.hpp; at most polishIterations steps, converged below polishTolQ, given up as hopeless above
  // acceptQ). Finds fixed points, not slow points.
  bool newton = false;
  int latentStarts = 1024;
  int latentIterations = 100;
  uint64_t seed = 0;
  // first phase: Adam on each candidate, learning rate times plateauFactor after more than plateauPatience
  // iterations without a relative improvement of 1e-4 (torch ReduceLROnPlateau); a candidate leaves the phase when
  // q < adamTolQ, when its learning rate falls below minLr, or after maxIterations
  int maxIterations = 5000;
  double lr = 1.0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double plateauFactor = 0.95;
  int plateauPatience = 2;
  double minLr = 0.0;
  double adamTolQ = 0.0;
  bool singlePrecision = true;  // the first phase in float (the second is always double)
  // The first phase run elsewhere, with the same semantics (the CUDA backend): X, D are candidates x N, row-major;
  // X is updated in place, iterations[c] set as above; progress(done, total). Empty: the CPU's.
  std::function<void(double* X, const double* D, int candidates, int* iterations,
                     const std::function<void(int, int)>& progress, const std::atomic<bool>* abort)>
      firstPhase;
  // second phase: Levenberg-Marquardt, at most polishIterations accepted steps, stops when q <= polishTolQ
  int polishIterations = 100;
  double polishTolQ = 0.0;
  // selection: points with q <= acceptQ; duplicates within uniqueTolerance (Euclidean, same condition) merged,
  // keeping the lowest q; candidates further than outlierScale times the mean distance of the initial states from
  // their centroid dropped (outlierScale <= 0: none)
  double acceptQ = std::numeric_limits<double>::infinity();
  double uniqueTolerance = 1e-3;
  double outlierScale = 10.0;
  LinearizeOptions linearize;
  int threads = 1;
};

enum class SearchPhase { Adam = 0, Polish = 1, Linearize = 2, Settle = 3, Latent = 4, Newton = 5 };

struct SearchProgress {
  SearchPhase phase = SearchPhase::Adam;
  int done = 0;   // candidates (points in the linearisation phase) finished so far
  int total = 0;
};

// Why a candidate has no point.
enum : int { kTooFast = -1, kOutlier = -2, kAborted = -3 };

struct FixedPointSearch {
  int candidates = 0, dim = 0;
  std::vector<double> finalStates;  // candidates x N: where each candidate ended
  std::vector<double> finalQ;
  std::vector<int> adamIterations, polishIterations, latentIterations;
  // the point each candidate led to, or kTooFast / kOutlier / kAborted; candidates that the first phase brought
  // within uniqueTolerance of an already polished candidate join it without being polished themselves
  std::vector<int> assignment;
  std::vector<int> representative;  // per point: the candidate whose final state it is (lowest q of its group), or
                                    // -1 for a point found only from a latent spread start
  std::vector<double> points;       // points x N
  std::vector<double> pointQ;
  std::vector<int> pointConditions;
  std::vector<Eigenpairs> linear;   // per point
  bool reduced = false;
  bool latent = false;
  bool aborted = false;
};

// initial, inputs: candidates x N and candidates x K; conditions: one id per candidate (points of different
// conditions are never merged). `report` may be called from any worker thread (serialised); `abort` is polled.
FixedPointSearch find_fixed_points(const ModelSpec& spec, const double* params, const double* initial,
                                   const double* inputs, const int* conditions, int candidates,
                                   const FixedPointOptions& opts, const std::function<void(const SearchProgress&)>& report,
                                   const std::atomic<bool>* abort);

struct SettleOptions {
  int maxSteps = 1000;
  int checkEvery = 10;
  double radius = 0.0;   // a run ends at a point when it comes within radius of it ...
  double settleQ = 0.0;  // ... the point is stable, and q at the state is below settleQ
  int threads = 1;
};

struct SettleRuns {
  std::vector<int> end;    // per start: the point it ended at (nearest within radius after maxSteps), or -1
  std::vector<int> steps;  // steps run
  std::vector<double> finalStates;
  bool aborted = false;
};

// Noise-free runs x -> x + alpha F(x) from each start (starts x N, inputs starts x K) towards the given points
// (points x N; one condition id per point and per start; stable: 1 for stable points).
SettleRuns settle(const ModelSpec& spec, const double* params, const double* starts, const double* inputs,
                  const int* startConditions, int startCount, const double* points, const int* pointConditions,
                  const unsigned char* stable, int pointCount, const SettleOptions& opts,
                  const std::function<void(const SearchProgress&)>& report, const std::atomic<bool>* abort);

}  // namespace lowrank
