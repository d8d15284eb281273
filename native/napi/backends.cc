#include "backends.hpp"

#include "../cuda/gpu_backend.hpp"
#include "../cuda/gpu_fixed_points.hpp"

namespace lowrank {

template <class S>
std::unique_ptr<Backend<S>> make_backend(const ModelSpec& spec, Device device, int threads) {
  switch (device) {
    case Device::cuda: return make_cuda_backend<S>(spec);
    case Device::cuda_emulated: return make_emulated_cuda_backend<S>(spec);
    default: return make_cpu_backend<S>(spec, threads);
  }
}
template std::unique_ptr<Backend<float>> make_backend<float>(const ModelSpec&, Device, int);
template std::unique_ptr<Backend<double>> make_backend<double>(const ModelSpec&, Device, int);

void run_reduced_on(Device device, const ModelSpec& spec, const double* params, LinearizeOptions& lin) {
  if (device == Device::cpu) return;
  const auto solver = device == Device::cuda ? &cuda_reduced_eigenpairs : &emulated_reduced_eigenpairs;
  const LinearizeOptions settings = lin;
  lin.reducedSolver = [solver, settings, spec, params](const double* X, const double* D, int rows,
                                                      const std::function<void(int)>& done,
                                                      const std::atomic<bool>* abort) {
    return solver(spec, params, X, D, rows, settings, done, abort);
  };
}

void run_search_on(Device device, const ModelSpec& spec, const double* params, FixedPointOptions& o) {
  if (device == Device::cpu) return;
  run_reduced_on(device, spec, params, o.linearize);
  const auto firstPhase = device == Device::cuda ? &cuda_fixed_point_adam : &emulated_fixed_point_adam;
  const FixedPointOptions settings = o;
  o.firstPhase = [firstPhase, settings, spec, params](double* X, const double* D, int P, int* iterations,
                                                     const std::function<void(int, int)>& progress,
                                                     const std::atomic<bool>* abort) {
    firstPhase(spec, params, settings, X, D, P, iterations, progress, abort);
  };
}

}  // namespace lowrank
