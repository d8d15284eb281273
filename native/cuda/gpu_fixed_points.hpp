// Fixed-point analysis on the GPU: the first phase of the search (FixedPointOptions::firstPhase) and the reduced
// eigenproblems of low-rank nets (LinearizeOptions::reducedSolver). Plain C++.
#pragma once
#include <atomic>
#include <functional>

#include "fixed_points.hpp"

namespace lowrank {

// Adam on q = |F|^2 / 2 for P candidates (X, D: P x N, row-major; X updated in place), as the CPU's first phase.
// Throws std::runtime_error naming the reason when this binary was built without CUDA or no device is usable.
void cuda_fixed_point_adam(const ModelSpec& spec, const double* params, const FixedPointOptions& o, double* X,
                           const double* D, int P, int* iterations, const std::function<void(int, int)>& progress,
                           const std::atomic<bool>* abort);

// The same kernels run on host threads (simt_emulation.hpp), for tests on machines without a GPU.
void emulated_fixed_point_adam(const ModelSpec& spec, const double* params, const FixedPointOptions& o, double* X,
                               const double* D, int P, int* iterations, const std::function<void(int, int)>& progress,
                               const std::atomic<bool>* abort);

// The eigenpairs of the Jacobian at each state (states, drives: rows x N, row-major) from the reduced R x R problem,
// as linearize() computes them on the CPU (eigen_low_rank): values, vectors as asked for in opts, rcond, sorted.
// Throws as cuda_fixed_point_adam does when no device is usable.
std::vector<Eigenpairs> cuda_reduced_eigenpairs(const ModelSpec& spec, const double* params, const double* states,
                                                const double* drives, int rows, const LinearizeOptions& opts,
                                                const std::function<void(int)>& done, const std::atomic<bool>* abort);
std::vector<Eigenpairs> emulated_reduced_eigenpairs(const ModelSpec& spec, const double* params, const double* states,
                                                    const double* drives, int rows, const LinearizeOptions& opts,
                                                    const std::function<void(int)>& done,
                                                    const std::atomic<bool>* abort);

}  // namespace lowrank
