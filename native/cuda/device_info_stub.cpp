// Linked instead of device_info.cu, gpu_backend.cu and gpu_fixed_points.cu when the addon is built without CUDA.
#include "device_info.hpp"
#include "gpu_backend.hpp"
#include "gpu_fixed_points.hpp"

namespace lowrank {

CudaInfo query_cuda() {
  CudaInfo info;
  info.unavailableReason = "this binary was built without CUDA (rebuild with `npm run build:native` where nvcc exists)";
  return info;
}

template <class S>
std::unique_ptr<Backend<S>> make_cuda_backend(const ModelSpec&) {
  require_cuda_device();  // throws: this build has none
  return nullptr;
}
template std::unique_ptr<Backend<float>> make_cuda_backend<float>(const ModelSpec&);
template std::unique_ptr<Backend<double>> make_cuda_backend<double>(const ModelSpec&);

template <class S>
void train_cuda_ensemble(std::vector<GpuEnsembleMember<S>>&, const std::atomic<bool>*) {
  require_cuda_device();  // throws: this build has none
}
template void train_cuda_ensemble<float>(std::vector<GpuEnsembleMember<float>>&, const std::atomic<bool>*);
template void train_cuda_ensemble<double>(std::vector<GpuEnsembleMember<double>>&, const std::atomic<bool>*);

void cuda_fixed_point_adam(const ModelSpec&, const double*, const FixedPointOptions&, double*, const double*, int, int*,
                           const std::function<void(int, int)>&, const std::atomic<bool>*) {
  require_cuda_device();  // throws: this build has none
}

std::vector<Eigenpairs> cuda_reduced_eigenpairs(const ModelSpec&, const double*, const double*, const double*, int,
                                                const LinearizeOptions&, const std::function<void(int)>&,
                                                const std::atomic<bool>*) {
  require_cuda_device();  // throws: this build has none
  return {};
}

}  // namespace lowrank
