// The first phase of the fixed-point search on the GPU (FixedPointOptions::firstPhase). Plain C++.
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

}  // namespace lowrank
