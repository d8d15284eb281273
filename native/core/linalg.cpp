#include "linalg.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "lapack.hpp"

namespace lowrank {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

namespace {

// thin_svd on LAPACK (dgesdd). The row-major rows x cols buffer is, read column-major, A^T (cols x rows); its SVD
// A^T = V S U^T gives V as dgesdd's u (cols x k0) and U^T as its vt (k0 x rows), k0 = min(rows, cols).
void thin_svd_lapack(const double* a, ThinSvd& out, int threads) {
  const int rows = out.rows, cols = out.cols, k = out.k, k0 = std::min(rows, cols);
  std::vector<double> work(a, a + size_t(rows) * cols), s(k0), v(size_t(cols) * k0), ut(size_t(k0) * rows);
  const int info = lapack::gesdd(cols, rows, work.data(), s.data(), v.data(), ut.data(), threads);
  if (info < 0) throw std::logic_error("svd: dgesdd rejected argument " + std::to_string(-info));
  if (info > 0) throw std::runtime_error("svd: the divide-and-conquer iteration (LAPACK dgesdd) did not converge");
  if (k == k0) {
    out.u = std::move(ut);  // U^T column-major is U row-major
  } else {
    for (int r = 0; r < rows; ++r)
      for (int i = 0; i < k; ++i) out.u[size_t(r) * k + i] = ut[size_t(r) * k0 + i];
  }
  transpose_into(v.data(), cols, k, out.v.data());  // V's first k columns, row-major
  std::copy(s.begin(), s.begin() + k, out.s.begin());
}

}  // namespace

void transpose_into(const double* in, int rows, int cols, double* out) {
  constexpr int kTile = 32;
  for (int c0 = 0; c0 < cols; c0 += kTile)
    for (int r0 = 0; r0 < rows; r0 += kTile)
      for (int c = c0; c < std::min(cols, c0 + kTile); ++c)
        for (int r = r0; r < std::min(rows, r0 + kTile); ++r) out[size_t(r) * cols + c] = in[size_t(c) * rows + r];
}

ThinSvd thin_svd(const double* a, int rows, int cols, int k, int threads) {
  if (rows < 1 || cols < 1) throw std::range_error("svd: the matrix must have at least one row and one column");
  const int full = std::min(rows, cols);
  if (k < 1 || k > full) throw std::range_error("svd: k must be between 1 and min(rows, cols)");
  ThinSvd out;
  out.rows = rows;
  out.cols = cols;
  out.k = k;
  out.u.resize(size_t(rows) * k);
  out.v.resize(size_t(cols) * k);
  out.s.resize(k);
  if (lapack::available()) {
    thin_svd_lapack(a, out, threads);
    return out;
  }
  const Eigen::Map<const RowMat> A(a, rows, cols);
  Eigen::BDCSVD<Eigen::MatrixXd> svd(A, Eigen::ComputeThinU | Eigen::ComputeThinV);
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
