// Eigendecompositions of real matrices in double precision: dense (LAPACK dgeev when LAPACK is found at run time,
// see lapack.hpp, else Eigen's real Schur-based EigenSolver) and, for
// a shift plus a rank-R update (the Jacobian of a low-rank net), from the R x R matrix V^T U in O(N R^2).
#pragma once
#include <Eigen/Dense>
#include <complex>
#include <vector>

#include "host_device.hpp"

namespace lowrank {

struct Eigenpairs {
  int dim = 0;    // length of each eigenvector
  int count = 0;  // eigenpairs listed
  // sorted by real part, descending (then imaginary part, descending; see sorted_eigenpairs)
  std::vector<std::complex<double>> values;
  // count x dim, row i = right eigenvector v_i (A v_i = lambda_i v_i), unit 2-norm, its phase fixed (see
  // phase_reference_candidate); empty unless asked for
  std::vector<std::complex<double>> right;
  // count x dim, row i = left eigenvector w_i (w_i^T A = lambda_i w_i^T), scaled so that w_i^T v_i = 1 (no
  // conjugation); empty unless asked for
  std::vector<std::complex<double>> left;
  // reciprocal condition number 1 / (|C|_1 |C^-1|_1) of the matrix C of unit-norm eigenvectors (for the reduced
  // problem: of the R x R core's) when left vectors were computed; near 0 for a defective matrix, whose left vectors
  // are then unreliable
  double rcond = 0.0;
};

// Eigenvectors have no phase of their own; ours is fixed so that every device gives the same vector: among the
// components whose modulus is within a factor (1 - 1e-6) of the largest, the first is made real and positive (the
// tolerance keeps rounding from choosing a different component on a different device).
LOWRANK_HOST_DEVICE inline bool phase_reference_candidate(double modulus, double largest) {
  return modulus >= (1.0 - 1e-6) * largest;
}

// A reduced problem's left vector w = d^T V^T is scaled so that w^T v = 1, unless w^T v vanishes against |w| (the
// pair merged with the trivial eigenvalue): then it is left as it is.
LOWRANK_HOST_DEVICE inline bool scales_left_vector(double overlapModulus, double leftNorm) {
  return overlapModulus > 1e-14 * leftNorm;
}

// Eigenpairs from unsorted values (count), right vectors (the columns of `right`, dim x count) and left vectors (the
// rows of `left`, count x dim), either may be null: sorted by real part, descending; real parts that differ by no more
// than kOrderTolerance times the largest modulus from the next larger one count as equal (they differ by rounding:
// complex pairs, rotations), and such a run is sorted by imaginary part, descending. So every solver lists the same
// eigenvalues in the same order.
constexpr double kOrderTolerance = 1e-10;
Eigenpairs sorted_eigenpairs(const Eigen::VectorXcd& values, const Eigen::MatrixXcd* right, const Eigen::MatrixXcd* left,
                             double rcond);

// The order sorted_eigenpairs lists `values` in: order[i] is the index of the i-th listed value.
std::vector<int> eigen_order(const Eigen::VectorXcd& values);

Eigenpairs eigen_dense(const Eigen::MatrixXd& a, bool rightVectors, bool leftVectors);

// The eigenpairs of eigen_dense in the form the JavaScript API hands out (analysis.eigen): real and imaginary parts
// apart, each vector a row (right[i * n + k] is component k of right vector i), in sorted_eigenpairs' order, with the
// same conventions. `a` is the row-major n x n matrix (consumed: LAPACK works in it). With LAPACK the row-major buffer goes to dgeev
// as it is, that is as the column-major A^T: A^T has A's eigenvalues, and the left eigenvectors dgeev returns for it
// (u^H A^T = lambda u^H) are, conjugated, A's right eigenvectors (A conj(u) = lambda conj(u)); no transpose is made.
struct PlanarEigenpairs {
  int n = 0;
  std::vector<double> re, im;            // n
  std::vector<double> rightRe, rightIm;  // n x n, empty unless asked for
  std::vector<double> leftRe, leftIm;    // n x n, empty unless asked for
  double rcond = 0.0;                    // as Eigenpairs::rcond, when left vectors were computed
};
// `threads`: LAPACK's threads for the call (lapack.hpp; 0: its default).
PlanarEigenpairs eigen_dense_rows(std::vector<double> a, int n, bool rightVectors, bool leftVectors, int threads = 0);

// The R eigenpairs of shift I + U V^T (U, V: dim x R) that come from the update; the other dim - R eigenvalues all
// equal `shift`. Eigenvalues are shift + eig(V^T U); right vectors U c, left vectors V d for the eigenvectors c, d of
// V^T U.
Eigenpairs eigen_low_rank(double shift, const Eigen::MatrixXd& U, const Eigen::MatrixXd& V, bool rightVectors,
                          bool leftVectors);

}  // namespace lowrank
