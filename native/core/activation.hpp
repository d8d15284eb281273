// Transfer functions. Derivatives are expressed through the function's output y = f(x), which is what the engine
// keeps from the forward pass (tanh' = 1 - y^2, softplus' = sigmoid(x) = 1 - exp(-y), ...).
#pragma once
#include <Eigen/Core>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace lowrank {

enum class Activation { Tanh, Relu, LeakyRelu, Softplus, Linear };

inline Activation parse_activation(const std::string& name) {
  if (name == "tanh") return Activation::Tanh;
  if (name == "relu") return Activation::Relu;
  if (name == "leaky-relu") return Activation::LeakyRelu;
  if (name == "softplus") return Activation::Softplus;
  if (name == "linear") return Activation::Linear;
  throw std::invalid_argument("activation must be one of tanh, relu, leaky-relu, softplus, linear; got '" + name + "'");
}

struct Transfer {
  Activation kind = Activation::Tanh;
  double slope = 0.01;  // leaky-relu negative slope

  // y = f(x), element-wise over an Eigen array expression.
  template <class In, class Out>
  void apply(const In& x, Out&& y) const {
    using S = typename std::decay_t<Out>::Scalar;
    switch (kind) {
      case Activation::Tanh: y = x.tanh(); break;
      case Activation::Relu: y = x.max(S(0)); break;
      case Activation::LeakyRelu: y = x.max(S(0)) + S(slope) * x.min(S(0)); break;
      case Activation::Softplus:
        // log(1 + e^x) computed without overflow: max(x, 0) + log1p(e^{-|x|})
        y = x.max(S(0)) + (-x.abs()).exp().log1p();
        break;
      case Activation::Linear: y = x; break;
    }
  }

  // d *= f'(x) given y = f(x), in one pass. Always inlined, so that a tile of the engine's fused kernels stays in
  // registers.
  template <class In, class Out>
  EIGEN_ALWAYS_INLINE void scale_by_derivative(const In& y, Out&& d) const {
    using S = typename std::decay_t<Out>::Scalar;
    switch (kind) {
      case Activation::Tanh: d *= S(1) - y.square(); break;
      case Activation::Relu: d *= is_positive(y); break;
      case Activation::LeakyRelu: d = d * is_positive(y) + S(slope) * d * (S(1) - is_positive(y)); break;
      case Activation::Softplus: d *= S(1) - (-y).exp(); break;
      case Activation::Linear: break;
    }
  }

  // Exactly 1 where y > 0 and 0 elsewhere, as arithmetic: Eigen 3.4's select does not vectorise inside the engine's
  // fused tiles, multiplications do. Scaling by 2^k twice, with 2^2k times the smallest positive S above 1, takes any
  // y > 0 to at least 1.
  template <class Y>
  static auto is_positive(const Y& y) {
    using S = typename Y::Scalar;
    constexpr int k = (std::numeric_limits<S>::digits - std::numeric_limits<S>::min_exponent + 2) / 2;
    const S big = std::ldexp(S(1), k);
    return (y.max(S(0)) * big * big).min(S(1));
  }

  template <class S>
  S scalar(S x) const {
    Eigen::Array<S, 1, 1> in;
    in(0) = x;
    Eigen::Array<S, 1, 1> out;
    apply(in, out);
    return out(0);
  }
};

}  // namespace lowrank
