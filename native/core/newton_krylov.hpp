// Batched inexact Newton-GMRES on F(x) = 0 for nets whose Jacobian is dense (full-rank, or low-rank under no-autapse):
// the 'newton' fixed-point search (fixed_points.hpp). A block of candidates advances in lockstep so that every
// Jacobian-vector product of the block is one matrix product with the N x N recurrent matrix:
//   current: J v = -v + W (phi'(x + b) o v),   rate: J v = -v + f'(W x + d) o (W v).
// Each Newton step solves J delta = -F by GMRES (no restart, Eisenstat-Walker forcing terms), then backtracks on
// q = |F|^2 / 2 (Armijo). A candidate leaves the block when q <= tolQ (converged), when no step length decreases q,
// or when it is hopeless: q above giveUpQ after `patience` steps in a row that each cut |F| by less than 10 % (the
// approach to a slow point, where J is nearly singular and Newton's steps stall).
#pragma once
#include <atomic>
#include <limits>
#include <vector>

#include "dynamics.hpp"

namespace lowrank {

struct NewtonKrylovOptions {
  int maxSteps = 100;       // accepted Newton steps per candidate
  double tolQ = 0.0;        // converged below this q
  double giveUpQ = std::numeric_limits<double>::infinity();  // hopeless only above this q
  int patience = 4;
  int krylov = 150;         // GMRES iterations per Newton step at most
};

// X (rows x N, updated in place), D (rows x N drives, VectorField::drive); q and steps (accepted Newton steps) per
// row. Rows are independent: the result of a row does not depend on the other rows of the block.
void newton_krylov_block(const ModelSpec& spec, const double* params, RowMatrix<double>& X, const RowMatrix<double>& D,
                         const NewtonKrylovOptions& o, double* q, int* steps, const std::atomic<bool>* abort);

}  // namespace lowrank
