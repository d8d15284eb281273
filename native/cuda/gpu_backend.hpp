// The GPU backend's factories. Plain C++: no CUDA headers needed to include this.
#pragma once
#include <atomic>
#include <exception>
#include <memory>
#include <vector>

#include "backend.hpp"

namespace lowrank {

// The CUDA backend on the first device. Throws std::runtime_error naming the reason when this binary was built
// without CUDA or no device is usable.
template <class S>
std::unique_ptr<Backend<S>> make_cuda_backend(const ModelSpec& spec);

// The same kernels run on host threads (simt_emulation.hpp): slow, for tests on machines without a GPU.
template <class S>
std::unique_ptr<Backend<S>> make_emulated_cuda_backend(const ModelSpec& spec);

// One member of an ensemble trained on a CUDA backend: its backend (made by make_cuda_backend or
// make_emulated_cuda_backend, matching the function called), its training call, and what the call did.
template <class S>
struct GpuEnsembleMember {
  Backend<S>* backend = nullptr;
  TrainData<S> data;  // as trainSteps takes it
  AdamOptions adam;
  uint64_t seed = 0;
  bool drawNoise = false;
  // results: the steps done, the loss and gradient norm of each, and the error that stopped the member (if any)
  int completed = 0;
  std::vector<double> losses, gradNorms;
  std::exception_ptr error;
};

// Trains the members (models of one shape on one device), each as its own trainSteps call would. The device memory
// they need is planned first: members that do not fit together run in chunks, one after another. Low-rank members of
// a chunk run every optimizer step with one launch per kernel for all of them (grids of trials x members); full-rank
// members run one after another. A member that fails (its loss not finite, its memory too large) stops alone, with
// its error. The backends must not be used by anything else during the call.
template <class S>
void train_cuda_ensemble(std::vector<GpuEnsembleMember<S>>& members, const std::atomic<bool>* abort);
template <class S>
void train_emulated_cuda_ensemble(std::vector<GpuEnsembleMember<S>>& members, const std::atomic<bool>* abort);

}  // namespace lowrank
