// The GPU backend's factories. Plain C++: no CUDA headers needed to include this.
#pragma once
#include <memory>

#include "backend.hpp"

namespace lowrank {

// The CUDA backend on the first device. Throws std::runtime_error naming the reason when this binary was built
// without CUDA or no device is usable.
template <class S>
std::unique_ptr<Backend<S>> make_cuda_backend(const ModelSpec& spec);

// The same kernels run on host threads (simt_emulation.hpp): slow, for tests on machines without a GPU.
template <class S>
std::unique_ptr<Backend<S>> make_emulated_cuda_backend(const ModelSpec& spec);

}  // namespace lowrank
