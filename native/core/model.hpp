// Model description shared by every backend: sizes, options and the flat parameter layout.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "activation.hpp"

namespace lowrank {

enum class Formulation { Current, Rate };
enum class LossOn { Outputs, Rates, States };

inline Formulation parse_formulation(const std::string& s) {
  if (s == "current") return Formulation::Current;
  if (s == "rate") return Formulation::Rate;
  throw std::invalid_argument("formulation must be 'current' or 'rate'; got '" + s + "'");
}

inline LossOn parse_loss_on(const std::string& s) {
  if (s == "outputs") return LossOn::Outputs;
  if (s == "rates") return LossOn::Rates;
  if (s == "states") return LossOn::States;
  throw std::invalid_argument("lossOn must be 'outputs', 'rates' or 'states'; got '" + s + "'");
}

// Parameter names, in layout order. Low-rank nets have m and n, full-rank nets have wrec.
enum ParamId { kM = 0, kN, kWrec, kWi, kSi, kWo, kSo, kH0, kB, kParamCount };
inline const char* param_name(int id) {
  static const char* names[kParamCount] = {"m", "n", "wrec", "wi", "si", "wo", "so", "h0", "b"};
  return names[id];
}

struct ModelSpec {
  int size = 0;     // N
  int rank = 0;     // R; 0 means full-rank
  int inputs = 0;   // K
  int outputs = 0;  // O
  Formulation formulation = Formulation::Current;
  Transfer transfer;         // phi
  Transfer outputTransfer;   // phi_out
  double alpha = 0.2;
  double noise = 0.0;        // sigma
  bool noAutapse = false;
  std::vector<int8_t> daleSigns;  // full-rank only: +1 / -1 per presynaptic unit, empty = no Dale's law
  std::vector<uint8_t> connectivityMask;  // full-rank only: N x N, 1 = connection allowed, empty = none
  bool trainable[kParamCount] = {};

  bool lowRank() const { return rank > 0; }
  // The 1/N of the low-rank recurrence and readout; full-rank nets use 1.
  double readoutScale() const { return lowRank() ? 1.0 / size : 1.0; }
};

struct ParamSegment {
  int64_t offset = 0;
  int64_t count = 0;  // 0 when the model has no such parameter
  std::vector<int64_t> shape;
};

struct ParamLayout {
  ParamSegment seg[kParamCount];
  int64_t total = 0;

  explicit ParamLayout(const ModelSpec& s) {
    const int64_t N = s.size, R = s.rank, K = s.inputs, O = s.outputs;
    auto add = [&](int id, std::vector<int64_t> shape) {
      int64_t c = 1;
      for (auto d : shape) c *= d;
      seg[id] = {total, c, shape};
      total += c;
    };
    if (s.lowRank()) {
      add(kM, {N, R});
      add(kN, {N, R});
    } else {
      add(kWrec, {N, N});
    }
    add(kWi, {K, N});
    add(kSi, {K});
    add(kWo, {N, O});
    add(kSo, {O});
    add(kH0, {N});
    add(kB, {N});
  }
};

inline void validate_spec(const ModelSpec& s) {
  if (s.size < 1) throw std::range_error("size must be a positive integer");
  if (s.rank < 0 || s.rank > s.size) throw std::range_error("rank must be between 1 and size (or 0 for full-rank)");
  if (s.inputs < 0 || s.outputs < 0) throw std::range_error("inputs and outputs must be non-negative");
  if (!(s.alpha > 0.0 && s.alpha <= 1.0)) throw std::range_error("alpha must be in (0, 1]");
  if (!(s.noise >= 0.0)) throw std::range_error("noise must be >= 0");
  if (s.lowRank() && (!s.daleSigns.empty() || !s.connectivityMask.empty()))
    throw std::invalid_argument("Dale's law and connectivity masks apply to full-rank nets only");
  if (!s.daleSigns.empty() && static_cast<int>(s.daleSigns.size()) != s.size)
    throw std::range_error("daleSigns must have one entry per unit");
  if (!s.connectivityMask.empty() && static_cast<int64_t>(s.connectivityMask.size()) != int64_t(s.size) * s.size)
    throw std::range_error("connectivity mask must be size x size");
}

}  // namespace lowrank
