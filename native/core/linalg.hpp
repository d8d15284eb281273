// Dense linear algebra in double precision for analysis and re-parametrisation (Eigen; the SVD on LAPACK when it is
// found at run time, see lapack.hpp).
#pragma once
#include <Eigen/Dense>
#include <complex>
#include <vector>

namespace lowrank {

struct ThinSvd {
  int rows = 0, cols = 0, k = 0;
  std::vector<double> u;  // rows x k, row-major
  std::vector<double> s;  // k, descending
  std::vector<double> v;  // cols x k, row-major
};

// The leading k singular triplets of a row-major rows x cols matrix (k <= min(rows, cols)); `threads`: LAPACK's
// threads for the call (lapack.hpp; 0: its default).
ThinSvd thin_svd(const double* a, int rows, int cols, int k, int threads = 0);

// out (cols x rows, column-major) = in^T for in (rows x cols, column-major), by cache-sized tiles.
void transpose_into(const double* in, int rows, int cols, double* out);

// A = U T U^H. Complex form: T upper triangular with the eigenvalues on its diagonal, U unitary. Real form
// (`real`): T quasi upper triangular (2 x 2 diagonal blocks for complex pairs), U orthogonal, imaginary parts zero.
struct SchurForm {
  int n = 0;
  bool real = false;
  std::vector<double> tRe, tIm;  // n x n, row-major
  std::vector<double> uRe, uIm;  // n x n, row-major
};

SchurForm schur(const double* a, int n, bool real);

// The eigenvalues of a square matrix, read from the diagonal of its complex Schur form.
std::vector<std::complex<double>> schur_eigenvalues(const Eigen::Ref<const Eigen::MatrixXd>& a);

}  // namespace lowrank
