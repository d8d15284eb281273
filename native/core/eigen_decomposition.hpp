// Eigendecompositions of real matrices in double precision: dense (Eigen's real Schur-based EigenSolver) and, for
// a shift plus a rank-R update (the Jacobian of a low-rank net), from the R x R matrix V^T U in O(N R^2).
#pragma once
#include <Eigen/Dense>
#include <complex>
#include <vector>

namespace lowrank {

struct Eigenpairs {
  int dim = 0;    // length of each eigenvector
  int count = 0;  // eigenpairs listed
  // sorted by real part, descending (then imaginary part, descending)
  std::vector<std::complex<double>> values;
  // count x dim, row i = right eigenvector v_i (A v_i = lambda_i v_i), unit 2-norm; empty unless asked for
  std::vector<std::complex<double>> right;
  // count x dim, row i = left eigenvector w_i (w_i^T A = lambda_i w_i^T), scaled so that w_i^T v_i = 1 (no
  // conjugation); empty unless asked for
  std::vector<std::complex<double>> left;
  // reciprocal condition number (1-norm estimate) of the eigenvector matrix when left vectors were computed; near 0
  // for a defective matrix, whose left vectors are then unreliable
  double rcond = 0.0;
};

Eigenpairs eigen_dense(const Eigen::MatrixXd& a, bool rightVectors, bool leftVectors);

// The R eigenpairs of shift I + U V^T (U, V: dim x R) that come from the update; the other dim - R eigenvalues all
// equal `shift`. Eigenvalues are shift + eig(V^T U); right vectors U c, left vectors V d for the eigenvectors c, d of
// V^T U.
Eigenpairs eigen_low_rank(double shift, const Eigen::MatrixXd& U, const Eigen::MatrixXd& V, bool rightVectors,
                          bool leftVectors);

}  // namespace lowrank
