#include "covariance.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <stdexcept>

#include "thread_pool.hpp"

namespace lowrank {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <class S>
std::vector<double> cross_covariances(const S* x, int B, int T, int N, int lags, int threads) {
  if (B < 1 || T < 2 || N < 1) throw std::range_error("crossCovariances: needs B >= 1 trials of T >= 2 samples of N >= 1");
  if (lags < 1 || lags > T - 1) throw std::range_error("crossCovariances: lags must be in [1, T - 1]");
  const Eigen::Index samples = Eigen::Index(B) * T;
  RowMat centred = Eigen::Map<const Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(x, samples, N)
                       .template cast<double>();
  const Eigen::RowVectorXd mean = centred.colwise().mean();
  centred.rowwise() -= mean;
  std::vector<double> out(size_t(lags) * N * N);
  const int workers = std::max(1, std::min(threads, lags));
  ThreadPool pool(workers);
  pool.run(workers, [&](int worker) {
    for (int lag = worker; lag < lags; lag += workers) {
    Eigen::Map<RowMat> block(out.data() + size_t(lag) * N * N, N, N);
    block.setZero();
    for (int b = 0; b < B; ++b) {
      const auto trial = centred.middleRows(Eigen::Index(b) * T, T);
      block.noalias() += trial.topRows(T - lag).transpose() * trial.middleRows(lag, T - lag);
    }
    block /= double(B) * (T - lag);
    if (lag == 0) block = (0.5 * (block + block.transpose())).eval();
    }
  });
  return out;
}

template std::vector<double> cross_covariances<float>(const float*, int, int, int, int, int);
template std::vector<double> cross_covariances<double>(const double*, int, int, int, int, int);

}  // namespace lowrank
