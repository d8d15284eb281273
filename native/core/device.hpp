// Where a model or an analysis runs: the one device type of the native layer and its one parser. The factory that
// maps a device to its implementation (CPU backend, CUDA backend, or the CUDA kernels emulated on host threads) is
// native/napi/backends.hpp, the one place that knows every implementation.
#pragma once
#include <stdexcept>
#include <string>

namespace lowrank {

enum class Device {
  cpu,
  cuda,
  cuda_emulated,  // the CUDA kernels run by host threads: slow, for tests on machines without a GPU
};

// 'cpu', 'cuda' or 'cuda-emulated'; anything else throws std::invalid_argument (a TypeError in JavaScript).
inline Device parse_device(const std::string& name) {
  if (name == "cpu") return Device::cpu;
  if (name == "cuda") return Device::cuda;
  if (name == "cuda-emulated") return Device::cuda_emulated;
  throw std::invalid_argument("device must be 'cpu', 'cuda' or 'cuda-emulated'; got '" + name + "'");
}

inline const char* device_name(Device d) {
  switch (d) {
    case Device::cuda: return "cuda";
    case Device::cuda_emulated: return "cuda-emulated";
    default: return "cpu";
  }
}

}  // namespace lowrank
