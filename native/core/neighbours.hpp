// Nearest neighbours by cosine similarity (ePAIRS, populations analysis): for each row of a matrix of unit-norm rows,
// the mean of its k largest cosine similarities to the other rows. Brute force, O(n^2 d), blocked matrix products.
#pragma once
#include <vector>

namespace lowrank {

// x: n x d row-major with unit-norm rows; 1 <= k < n. Rows are split over `threads` threads; each row's value is
// computed the same way whatever the split, so the result does not depend on the thread count.
std::vector<double> mean_top_cosines(const double* x, int n, int d, int k, int threads);

}  // namespace lowrank
