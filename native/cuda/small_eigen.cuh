// The eigendecomposition of a small real matrix by one GPU thread, in double precision: the reduced R x R problems of
// low-rank nets (gpu_fixed_points.cu). The standard real algorithm, written out so that it runs in device code:
//  1. reduction to upper Hessenberg form H = Z^T A Z by Householder reflections, Z accumulated;
//  2. Francis double-shift QR iterations to the real Schur form T (upper quasi-triangular, 1 x 1 blocks for real
//     eigenvalues and 2 x 2 blocks for complex pairs), with deflation and the usual exceptional shifts;
//  3. each eigenvector y of T by back-substitution (in complex arithmetic, so a complex pair's vectors are exact
//     conjugates and a real eigenvalue's vector is exactly real), then Z y;
//  4. the inverse of the eigenvector matrix by LU with partial pivoting, for the left vectors and the condition number.
// The CPU solves the same problems with Eigen's EigenSolver; the parity tests compare the two.
#pragma once
#include "eigen_decomposition.hpp"
#include "gpu_common.cuh"

namespace lowrank {
namespace LOWRANK_GPU_NAMESPACE {
namespace {

struct Complex {
  double re = 0, im = 0;
};
LR_DEVICE Complex operator+(Complex a, Complex b) { return {a.re + b.re, a.im + b.im}; }
LR_DEVICE Complex operator-(Complex a, Complex b) { return {a.re - b.re, a.im - b.im}; }
LR_DEVICE Complex operator*(Complex a, Complex b) { return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re}; }
LR_DEVICE Complex operator*(double s, Complex a) { return {s * a.re, s * a.im}; }
// Smith's division: no overflow in the intermediate products; real stays real, conjugate inputs give conjugate output.
LR_DEVICE Complex operator/(Complex a, Complex b) {
  if (fabs(b.re) >= fabs(b.im)) {
    const double r = b.im / b.re, d = b.re + b.im * r;
    return {(a.re + a.im * r) / d, (a.im - a.re * r) / d};
  }
  const double r = b.re / b.im, d = b.im + b.re * r;
  return {(a.re * r + a.im) / d, (a.im * r - a.re) / d};
}
LR_DEVICE double modulus(Complex a) { return hypot(a.re, a.im); }
LR_DEVICE Complex conjugate(Complex a) { return {a.re, -a.im}; }

constexpr double kMachineEpsilon = 2.220446049250313e-16;

// Where small_eigen leaves its results and keeps its scratch: a workspace of small_eigen_workspace(n) doubles, laid
// out by small_eigen_layout, so that every thread can find the results of the one thread that computed them.
struct SmallEigen {
  double *re, *im;   // [n] eigenvalues, unsorted
  Complex* vectors;  // [n, n] row-major, column e: the eigenvector of eigenvalue e, unit 2-norm, phase as on the CPU
  Complex* inverse;  // [n, n] the inverse of `vectors` (when asked for)
  double* Z;         // [n, n] scratch: the accumulated orthogonal transformations
  Complex* lu;       // [n, n] scratch
  Complex* y;        // [n] scratch: an eigenvector of the Schur form, the Householder vector, the pivots
};

LOWRANK_HOST_DEVICE inline int64_t small_eigen_workspace(int n) { return 7 * int64_t(n) * n + 4 * int64_t(n); }

LR_DEVICE SmallEigen small_eigen_layout(int n, double* work) {
  const int64_t nn = int64_t(n) * n;
  SmallEigen e;
  e.Z = work;
  e.vectors = reinterpret_cast<Complex*>(work + nn);
  e.inverse = e.vectors + nn;
  e.lu = e.inverse + nn;
  e.re = work + 7 * nn;
  e.im = e.re + n;
  e.y = reinterpret_cast<Complex*>(e.im + n);
  return e;
}

namespace small_eigen_detail {

// A <- P A and A <- A P on the given ranges, for the reflection P = I - f v v^T with v of length `len` at rows/columns
// k, k+1, ... (ld: row stride).
LR_DEVICE void reflect_rows(double* A, int ld, int k, int len, const double* v, double f, int col0, int col1) {
  for (int j = col0; j <= col1; ++j) {
    double s = 0;
    for (int t = 0; t < len; ++t) s += v[t] * A[(k + t) * ld + j];
    s *= f;
    for (int t = 0; t < len; ++t) A[(k + t) * ld + j] -= s * v[t];
  }
}
LR_DEVICE void reflect_columns(double* A, int ld, int k, int len, const double* v, double f, int row0, int row1) {
  for (int i = row0; i <= row1; ++i) {
    double s = 0;
    for (int t = 0; t < len; ++t) s += A[i * ld + k + t] * v[t];
    s *= f;
    for (int t = 0; t < len; ++t) A[i * ld + k + t] -= s * v[t];
  }
}

// Householder reduction of A (n x n, in place) to upper Hessenberg form; Z = the accumulated reflections.
LR_DEVICE void hessenberg(int n, double* A, double* Z, double* v) {
  for (int i = 0; i < n * n; ++i) Z[i] = 0;
  for (int i = 0; i < n; ++i) Z[i * n + i] = 1;
  for (int k = 0; k + 2 < n; ++k) {
    const int len = n - k - 1;
    double alpha = 0;
    for (int t = 0; t < len; ++t) alpha += A[(k + 1 + t) * n + k] * A[(k + 1 + t) * n + k];
    alpha = sqrt(alpha);
    if (alpha == 0) continue;
    if (A[(k + 1) * n + k] > 0) alpha = -alpha;
    double vv = 0;
    for (int t = 0; t < len; ++t) v[t] = A[(k + 1 + t) * n + k];
    v[0] -= alpha;
    for (int t = 0; t < len; ++t) vv += v[t] * v[t];
    const double f = 2.0 / vv;
    reflect_rows(A, n, k + 1, len, v, f, 0, n - 1);
    reflect_columns(A, n, k + 1, len, v, f, 0, n - 1);
    reflect_columns(Z, n, k + 1, len, v, f, 0, n - 1);
    A[(k + 1) * n + k] = alpha;
    for (int t = 1; t < len; ++t) A[(k + 1 + t) * n + k] = 0;
  }
}

// Francis double-shift QR on the Hessenberg matrix H (in place) to real Schur form, Z updated; false when an
// eigenvalue took more than 30 n iterations.
LR_DEVICE bool schur(int n, double* H, double* Z) {
  double norm = 0;
  for (int i = 0; i < n; ++i)
    for (int j = (i > 0 ? i - 1 : 0); j < n; ++j) norm += fabs(H[i * n + j]);
  if (norm == 0) return true;
  int hi = n - 1, iter = 0;
  while (hi >= 0) {
    int l = hi;
    for (; l > 0; --l) {  // the lowest l with a negligible subdiagonal H[l][l-1]
      double s = fabs(H[(l - 1) * n + l - 1]) + fabs(H[l * n + l]);
      if (s == 0) s = norm;
      if (fabs(H[l * n + l - 1]) < kMachineEpsilon * s) {
        H[l * n + l - 1] = 0;
        break;
      }
    }
    if (l >= hi - 1) {  // a 1 x 1 or 2 x 2 block has split off
      hi = l - 1;
      iter = 0;
      continue;
    }
    if (++iter > 30 * n) return false;
    double s, t;  // sum and product of the two shifts
    if (iter % 10 == 0) {  // exceptional shifts, against cycles
      const double ss = fabs(H[hi * n + hi - 1]) + fabs(H[(hi - 1) * n + hi - 2]);
      s = 1.5 * ss;
      t = ss * ss;
    } else {
      s = H[(hi - 1) * n + hi - 1] + H[hi * n + hi];
      t = H[(hi - 1) * n + hi - 1] * H[hi * n + hi] - H[(hi - 1) * n + hi] * H[hi * n + hi - 1];
    }
    for (int k = l; k < hi; ++k) {  // chase the bulge down the active window l..hi
      const int len = min(3, hi - k + 1);
      double x, y, z;
      if (k == l) {  // the first column of (H - s1)(H - s2)
        x = H[l * n + l] * H[l * n + l] + H[l * n + l + 1] * H[(l + 1) * n + l] - s * H[l * n + l] + t;
        y = H[(l + 1) * n + l] * (H[l * n + l] + H[(l + 1) * n + l + 1] - s);
        z = H[(l + 1) * n + l] * H[(l + 2) * n + l + 1];
      } else {
        x = H[k * n + k - 1];
        y = H[(k + 1) * n + k - 1];
        z = len == 3 ? H[(k + 2) * n + k - 1] : 0.0;
      }
      const double scale = fabs(x) + fabs(y) + fabs(z);
      if (scale == 0) continue;
      x /= scale, y /= scale, z /= scale;
      double alpha = sqrt(x * x + y * y + z * z);
      if (x > 0) alpha = -alpha;
      const double v[3] = {x - alpha, y, z};
      const double f = 2.0 / (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
      reflect_rows(H, n, k, len, v, f, k == l ? l : k - 1, n - 1);
      if (k > l) {
        H[k * n + k - 1] = alpha * scale;
        for (int r = 1; r < len; ++r) H[(k + r) * n + k - 1] = 0;
      }
      reflect_columns(H, n, k, len, v, f, 0, min(k + 3, hi));
      reflect_columns(Z, n, k, len, v, f, 0, n - 1);
    }
  }
  return true;
}

// The eigenvalues of the real Schur form T.
LR_DEVICE void schur_eigenvalues(int n, const double* T, double* re, double* im) {
  for (int k = 0; k < n;) {
    if (k + 1 < n && T[(k + 1) * n + k] != 0) {
      const double a = T[k * n + k], b = T[k * n + k + 1], c = T[(k + 1) * n + k], d = T[(k + 1) * n + k + 1];
      const double p = 0.5 * (a - d), q = p * p + b * c;
      if (q >= 0) {  // two real eigenvalues, by the formula that avoids cancellation
        const double z = p + copysign(sqrt(q), p);
        re[k] = d + z;
        re[k + 1] = z != 0 ? d - b * c / z : d + z;
        im[k] = im[k + 1] = 0;
      } else {
        re[k] = re[k + 1] = d + p;
        im[k] = sqrt(-q);
        im[k + 1] = -im[k];
      }
      k += 2;
    } else {
      re[k] = T[k * n + k];
      im[k] = 0;
      k += 1;
    }
  }
}

// The eigenvector y of T for the eigenvalue lambda of the block at rows first..last, by back-substitution; the
// divisions by (T_jj - lambda) are kept away from 0 by `tiny` (repeated eigenvalues).
LR_DEVICE void schur_eigenvector(int n, const double* T, int first, int last, Complex lambda, double tiny, Complex* y) {
  for (int j = 0; j < n; ++j) y[j] = Complex{};
  auto t = [&](int i, int j) { return Complex{T[i * n + j], 0.0}; };
  if (first == last) {
    y[first] = Complex{1.0, 0.0};
  } else {  // a null vector of the 2 x 2 block minus lambda: (b, lambda - a) or (lambda - d, c), the larger
    const Complex u0 = t(first, last), u1 = lambda - t(first, first);
    const Complex w0 = lambda - t(last, last), w1 = t(last, first);
    const bool first_option = modulus(u0) + modulus(u1) >= modulus(w0) + modulus(w1);
    y[first] = first_option ? u0 : w0;
    y[last] = first_option ? u1 : w1;
  }
  auto guard = [&](Complex d) { return modulus(d) < tiny ? Complex{tiny, 0.0} : d; };
  for (int j = first - 1; j >= 0;) {
    if (j > 0 && T[j * n + j - 1] != 0) {  // a 2 x 2 block at rows j - 1, j: Cramer's rule
      Complex r1{}, r2{};
      for (int l = j + 1; l <= last; ++l) r1 = r1 + t(j - 1, l) * y[l], r2 = r2 + t(j, l) * y[l];
      const Complex p11 = t(j - 1, j - 1) - lambda, p12 = t(j - 1, j), p21 = t(j, j - 1), p22 = t(j, j) - lambda;
      const Complex det = guard(p11 * p22 - p12 * p21);
      y[j - 1] = (r2 * p12 - r1 * p22) / det;
      y[j] = (r1 * p21 - r2 * p11) / det;
      j -= 2;
    } else {
      Complex r{};
      for (int l = j + 1; l <= last; ++l) r = r + t(j, l) * y[l];
      y[j] = (Complex{} - r) / guard(t(j, j) - lambda);
      j -= 1;
    }
    double largest = 0;  // rescale before anything can overflow
    for (int l = j + 1; l <= last; ++l) largest = fmax(largest, modulus(y[l]));
    if (largest > 1e100)
      for (int l = 0; l <= last; ++l) y[l] = (1.0 / largest) * y[l];
  }
}

// v (length n, stride `stride`) scaled to unit 2-norm with the phase of eigen_decomposition.hpp's convention.
LR_DEVICE void normalize_with_phase(int n, Complex* v, int stride) {
  double norm = 0, largest = 0;
  for (int i = 0; i < n; ++i) norm += v[i * stride].re * v[i * stride].re + v[i * stride].im * v[i * stride].im;
  norm = sqrt(norm);
  if (!(norm > 0)) return;
  for (int i = 0; i < n; ++i) v[i * stride] = (1.0 / norm) * v[i * stride], largest = fmax(largest, modulus(v[i * stride]));
  for (int i = 0; i < n; ++i) {
    const double a = modulus(v[i * stride]);
    if (phase_reference_candidate(a, largest)) {
      const Complex phase = (1.0 / a) * conjugate(v[i * stride]);
      for (int k = 0; k < n; ++k) v[k * stride] = v[k * stride] * phase;
      v[i * stride] = Complex{a, 0.0};
      return;
    }
  }
}

// The inverse of A (n x n complex) by LU with partial pivoting; LU: n x n workspace, perm: n.
LR_DEVICE void complex_inverse(int n, const Complex* A, Complex* LU, int* perm, Complex* inverse) {
  for (int i = 0; i < n * n; ++i) LU[i] = A[i];
  for (int i = 0; i < n; ++i) perm[i] = i;
  for (int k = 0; k < n; ++k) {
    int p = k;
    for (int i = k + 1; i < n; ++i)
      if (modulus(LU[i * n + k]) > modulus(LU[p * n + k])) p = i;
    if (p != k) {
      for (int j = 0; j < n; ++j) {
        const Complex tmp = LU[k * n + j];
        LU[k * n + j] = LU[p * n + j];
        LU[p * n + j] = tmp;
      }
      const int tp = perm[k];
      perm[k] = perm[p];
      perm[p] = tp;
    }
    for (int i = k + 1; i < n; ++i) {
      const Complex f = LU[i * n + k] / LU[k * n + k];
      LU[i * n + k] = f;
      for (int j = k + 1; j < n; ++j) LU[i * n + j] = LU[i * n + j] - f * LU[k * n + j];
    }
  }
  for (int c = 0; c < n; ++c) {  // column c of the inverse: L U x = P e_c
    for (int i = 0; i < n; ++i) {
      Complex s = perm[i] == c ? Complex{1.0, 0.0} : Complex{};
      for (int j = 0; j < i; ++j) s = s - LU[i * n + j] * inverse[j * n + c];
      inverse[i * n + c] = s;
    }
    for (int i = n - 1; i >= 0; --i) {
      Complex s = inverse[i * n + c];
      for (int j = i + 1; j < n; ++j) s = s - LU[i * n + j] * inverse[j * n + c];
      inverse[i * n + c] = s / LU[i * n + i];
    }
  }
}

LR_DEVICE double one_norm(int n, const Complex* A) {
  double best = 0;
  for (int j = 0; j < n; ++j) {
    double s = 0;
    for (int i = 0; i < n; ++i) s += modulus(A[i * n + j]);
    best = s > best || s != s ? s : best;  // NaN propagates
  }
  return best;
}

}  // namespace small_eigen_detail

// The eigenpairs of A (n x n real, row-major; destroyed: it becomes the real Schur form) into e (small_eigen_layout),
// and the inverse of the eigenvector matrix when `inverse`, with its reciprocal condition number 1 / (|C|_1 |C^-1|_1)
// (0 when not finite) in rcond. False when the QR iteration did not converge.
LR_DEVICE bool small_eigen(int n, double* A, const SmallEigen& e, bool inverse, double& rcond) {
  using namespace small_eigen_detail;
  hessenberg(n, A, e.Z, &e.y->re);
  if (!schur(n, A, e.Z)) return false;
  schur_eigenvalues(n, A, e.re, e.im);
  double norm = 0;
  for (int64_t i = 0; i < int64_t(n) * n; ++i) norm = fmax(norm, fabs(A[i]));
  const double tiny = kMachineEpsilon * (norm > 0 ? norm : 1.0);
  for (int k = 0; k < n;) {
    const int size = (k + 1 < n && A[(k + 1) * n + k] != 0) ? 2 : 1;
    for (int v = k; v < k + size; ++v) {
      schur_eigenvector(n, A, k, k + size - 1, Complex{e.re[v], e.im[v]}, tiny, e.y);
      for (int i = 0; i < n; ++i) {  // Z y
        Complex s{};
        for (int j = 0; j < n; ++j) s = s + e.Z[i * n + j] * e.y[j];
        e.vectors[i * n + v] = s;
      }
      normalize_with_phase(n, e.vectors + v, n);
    }
    k += size;
  }
  rcond = 0;
  if (inverse) {
    complex_inverse(n, e.vectors, e.lu, reinterpret_cast<int*>(e.y), e.inverse);
    const double norms = one_norm(n, e.vectors) * one_norm(n, e.inverse);
    rcond = isfinite(norms) && norms > 0 ? 1.0 / norms : 0.0;
  }
  return true;
}

}  // namespace
}  // namespace LOWRANK_GPU_NAMESPACE
}  // namespace lowrank
