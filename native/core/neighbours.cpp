#include "neighbours.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <limits>
#include <stdexcept>

#include "thread_pool.hpp"

namespace lowrank {

std::vector<double> mean_top_cosines(const double* x, int n, int d, int k, int threads) {
  if (n < 2 || d < 1 || k < 1 || k >= n) throw std::invalid_argument("mean_top_cosines: need n >= 2, d >= 1 and 1 <= k < n");
  using Rows = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const Rows> X(x, n, d);
  std::vector<double> out(size_t(n), 0.0);
  constexpr int kBlock = 256;
  const int blocks = (n + kBlock - 1) / kBlock;
  const int workers = std::max(1, std::min(threads, blocks));
  auto work = [&](int w) {
    std::vector<double> best(static_cast<size_t>(k));
    for (int b = w; b < blocks; b += workers) {
      const int r0 = b * kBlock, rows = std::min(kBlock, n - r0);
      const Rows sims = X.middleRows(r0, rows) * X.transpose();  // rows x n
      for (int r = 0; r < rows; ++r) {
        std::fill(best.begin(), best.end(), -std::numeric_limits<double>::infinity());
        for (int j = 0; j < n; ++j) {
          if (j == r0 + r) continue;
          const double c = sims(r, j);
          if (c <= best[k - 1]) continue;
          int p = k - 1;
          while (p > 0 && best[p - 1] < c) {
            best[p] = best[p - 1];
            --p;
          }
          best[p] = c;
        }
        double sum = 0.0;
        for (int q = 0; q < k; ++q) sum += best[q];
        out[size_t(r0 + r)] = sum / k;
      }
    }
  };
  ThreadPool pool(workers);  // throws, with every started thread joined, when the threads cannot be created
  pool.run_catching(workers, work);
  return out;
}

}  // namespace lowrank
