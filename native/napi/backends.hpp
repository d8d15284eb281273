// The one factory from a Device to its implementation, used by the models (NativeModel) and by the analyses (the
// fixed-point search and the linearisation). Plain C++ (no Node headers); it lives beside the bindings because it is
// the only code that links every implementation: the CPU backend (native/core), the CUDA backend and its host-thread
// emulation (native/cuda).
#pragma once
#include <memory>

#include "../core/backend.hpp"
#include "../core/device.hpp"
#include "../core/fixed_points.hpp"

namespace lowrank {

// The training and simulation backend of a model on `device` (threads: CPU threads, used by the CPU backend).
template <class S>
std::unique_ptr<Backend<S>> make_backend(const ModelSpec& spec, Device device, int threads);

// Sets the reduced eigenproblems of `lin` to run on `device` (cpu: leaves them on the CPU threads). `params` must
// outlive `lin`.
void run_reduced_on(Device device, const ModelSpec& spec, const double* params, LinearizeOptions& lin);

// Sets the fixed-point search's GPU work to run on `device`: its first phase and its reduced eigenproblems (cpu:
// leaves both on the CPU threads). `params` must outlive `o`.
void run_search_on(Device device, const ModelSpec& spec, const double* params, FixedPointOptions& o);

}  // namespace lowrank
