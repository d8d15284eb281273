// Dense linear algebra in double precision for analysis and re-parametrisation (Eigen).
#pragma once
#include <Eigen/Dense>
#include <vector>

namespace lowrank {

struct ThinSvd {
  int rows = 0, cols = 0, k = 0;
  std::vector<double> u;  // rows x k, row-major
  std::vector<double> s;  // k, descending
  std::vector<double> v;  // cols x k, row-major
};

// The leading k singular triplets of a row-major rows x cols matrix (k <= min(rows, cols)).
ThinSvd thin_svd(const double* a, int rows, int cols, int k);

}  // namespace lowrank
