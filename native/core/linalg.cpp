#include "linalg.hpp"

#include <algorithm>
#include <stdexcept>

namespace lowrank {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

ThinSvd thin_svd(const double* a, int rows, int cols, int k) {
  if (rows < 1 || cols < 1) throw std::range_error("svd: the matrix must have at least one row and one column");
  const int full = std::min(rows, cols);
  if (k < 1 || k > full) throw std::range_error("svd: k must be between 1 and min(rows, cols)");
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

namespace {

template <class M>
void store(const M& m, std::vector<double>& re, std::vector<double>& im) {
  const int n = int(m.rows());
  re.resize(size_t(n) * n);
  im.assign(size_t(n) * n, 0.0);
  Eigen::Map<RowMat> r(re.data(), n, n), i(im.data(), n, n);
  r = m.real();
  i = m.imag();
}

}  // namespace

SchurForm schur(const double* a, int n, bool real) {
  if (n < 1) throw std::range_error("schur: the matrix must have at least one row");
  const Eigen::Map<const RowMat> A(a, n, n);
  SchurForm out;
  out.n = n;
  out.real = real;
  if (real) {
    Eigen::RealSchur<Eigen::MatrixXd> s(A, true);
    if (s.info() != Eigen::Success) throw std::runtime_error("schur: the real Schur iteration did not converge");
    store(s.matrixT().cast<std::complex<double>>(), out.tRe, out.tIm);
    store(s.matrixU().cast<std::complex<double>>(), out.uRe, out.uIm);
  } else {
    Eigen::ComplexSchur<Eigen::MatrixXd> s(A, true);
    if (s.info() != Eigen::Success) throw std::runtime_error("schur: the complex Schur iteration did not converge");
    store(s.matrixT(), out.tRe, out.tIm);
    store(s.matrixU(), out.uRe, out.uIm);
  }
  return out;
}

std::vector<std::complex<double>> schur_eigenvalues(const Eigen::Ref<const Eigen::MatrixXd>& a) {
  Eigen::ComplexSchur<Eigen::MatrixXd> s(a, false);
  if (s.info() != Eigen::Success) throw std::runtime_error("eigenvalues: the complex Schur iteration did not converge");
  std::vector<std::complex<double>> out(size_t(a.rows()));
  for (Eigen::Index i = 0; i < a.rows(); ++i) out[size_t(i)] = s.matrixT()(i, i);
  return out;
}

}  // namespace lowrank
