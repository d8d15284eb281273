#include "linalg.hpp"

#include <algorithm>
#include <stdexcept>

namespace lowrank {

ThinSvd thin_svd(const double* a, int rows, int cols, int k) {
  if (rows < 1 || cols < 1) throw std::range_error("svd: the matrix must have at least one row and one column");
  const int full = std::min(rows, cols);
  if (k < 1 || k > full) throw std::range_error("svd: k must be between 1 and min(rows, cols)");
  using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMat> A(a, rows, cols);
  Eigen::BDCSVD<Eigen::MatrixXd> svd(A, Eigen::ComputeThinU | Eigen::ComputeThinV);
  ThinSvd out;
  out.rows = rows;
  out.cols = cols;
  out.k = k;
  out.u.resize(size_t(rows) * k);
  out.v.resize(size_t(cols) * k);
  out.s.resize(k);
  Eigen::Map<RowMat>(out.u.data(), rows, k) = svd.matrixU().leftCols(k);
  Eigen::Map<RowMat>(out.v.data(), cols, k) = svd.matrixV().leftCols(k);
  for (int i = 0; i < k; ++i) out.s[i] = svd.singularValues()(i);
  return out;
}

}  // namespace lowrank
