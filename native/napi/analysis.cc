// Dynamics analysis bindings: the vector field, Jacobians, eigendecompositions, fixed and slow points, and the
// settling runs of the fixed-point topology graph. Every call takes the model as (spec, params: Float64Array in
// layout order) and works in double precision on a worker thread.
#include "analysis.hpp"

#include <string>
#include <thread>

#include "../core/fixed_points.hpp"
#include "../core/memory_guard.hpp"
#include "backends.hpp"
#include "linalg_binding.hpp"
#include "glue.hpp"

namespace lowrank {
namespace {

using namespace glue;

// The model of an analysis call: its spec and a held copy-free view of its parameters.
struct HeldModel {
  ModelSpec spec;
  HeldArray<double> params;
};

HeldModel hold_model(const Napi::CallbackInfo& info) {
  HeldModel m;
  m.spec = spec_from(object_arg(info, 0, "spec"));
  m.params = hold_array<double>(info.Env(), info[1], "params", size_t(ParamLayout(m.spec).total));
  return m;
}

// rows x width values held from argument i.
HeldArray<double> hold_rows(const Napi::CallbackInfo& info, size_t i, const char* name, int rows, int width) {
  return hold_array<double>(info.Env(), info[i], name, size_t(checked_product(info.Env(), {rows, width}, name)));
}

int positive_field(const Napi::Object& o, const char* key) {
  const int v = int_field(o, key);
  if (v < 1) throw Napi::RangeError::New(o.Env(), std::string(key) + " must be a positive integer");
  return v;
}

// threads: 0 for every core.
int threads_field(const Napi::Object& o) {
  const int t = int_field(o, "threads");
  return t > 0 ? t : int(std::max(1u, std::thread::hardware_concurrency()));
}

EigenMethod method_field(const Napi::Object& o) {
  const std::string m = string_field(o, "method");
  if (m == "auto") return EigenMethod::Auto;
  if (m == "dense") return EigenMethod::Dense;
  if (m == "reduced") return EigenMethod::Reduced;
  throw std::invalid_argument("method must be 'auto', 'dense' or 'reduced'; got '" + m + "'");
}

LinearizeOptions linearize_options(const Napi::Object& o) {
  LinearizeOptions l;
  l.method = method_field(o);
  l.rightVectors = bool_field(o, "right");
  l.leftVectors = bool_field(o, "left");
  l.threads = threads_field(o);
  return l;
}

RowMatrix<double> rows_of(const double* data, int rows, int cols) {
  return Eigen::Map<const RowMatrix<double>>(data, rows, cols);
}

// Concatenated eigenpairs: values [n, count] and vectors [n, count, dim] as real and imaginary parts.
Napi::Object eigenpairs_out(Napi::Env env, const std::vector<Eigenpairs>& all) {
  auto r = Napi::Object::New(env);
  const int count = all.empty() ? 0 : all[0].count;
  const int dim = all.empty() ? 0 : all[0].dim;
  std::vector<double> re, im, rightRe, rightIm, leftRe, leftIm, rcond;
  for (const auto& e : all) {
    for (const auto& v : e.values) re.push_back(v.real()), im.push_back(v.imag());
    for (const auto& v : e.right) rightRe.push_back(v.real()), rightIm.push_back(v.imag());
    for (const auto& v : e.left) leftRe.push_back(v.real()), leftIm.push_back(v.imag());
    rcond.push_back(e.rcond);
  }
  r.Set("count", count);
  r.Set("dim", dim);
  r.Set("re", copy_out(env, re));
  r.Set("im", copy_out(env, im));
  if (!all.empty() && !all[0].right.empty()) {
    r.Set("rightRe", copy_out(env, rightRe));
    r.Set("rightIm", copy_out(env, rightIm));
  }
  if (!all.empty() && !all[0].left.empty()) {
    r.Set("leftRe", copy_out(env, leftRe));
    r.Set("leftIm", copy_out(env, leftIm));
    r.Set("rcond", copy_out(env, rcond));
  }
  return r;
}

Napi::Object progress_out(Napi::Env env, const SearchProgress& p) {
  static const char* phases[] = {"adam", "polish", "linearize", "settle", "latent", "newton"};
  auto o = Napi::Object::New(env);
  o.Set("phase", phases[int(p.phase)]);
  o.Set("done", p.done);
  o.Set("total", p.total);
  return o;
}

// ---- velocity ---------------------------------------------------------------------------------------------------

class VelocityWorker : public PromiseWorker {
 public:
  VelocityWorker(Napi::Env env, HeldModel model, HeldArray<double> states, HeldArray<double> inputs, int rows)
      : PromiseWorker(env), model_(std::move(model)), states_(std::move(states)), inputs_(std::move(inputs)), rows_(rows) {}

 protected:
  void Run() override {
    const VectorField<double> field(model_.spec, model_.params.data);
    RowMatrix<double> F;
    field.velocity(rows_of(states_.data, rows_, field.size()), field.drive(inputs_.data, rows_), F);
    velocity_.assign(F.data(), F.data() + F.size());
    q_.resize(rows_);
    for (int i = 0; i < rows_; ++i) q_[i] = 0.5 * F.row(i).squaredNorm();
  }
  Napi::Value Result(Napi::Env env) override {
    return arrays_out(env, named("velocity", velocity_), named("q", q_));
  }

 private:
  HeldModel model_;
  HeldArray<double> states_, inputs_;
  int rows_;
  std::vector<double> velocity_, q_;
};

// velocity(spec, params, states [rows, N], inputs [rows, K], { rows }) -> Promise<{ velocity, q }>
Napi::Value Velocity(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    HeldModel model = hold_model(info);
    const auto opts = object_arg(info, 4, "options");
    const int rows = positive_field(opts, "rows");
    ensure_allocation_fits(double(rows) * model.spec.size * sizeof(double) * 6, "velocity");
    auto states = hold_rows(info, 2, "states", rows, model.spec.size);
    auto inputs = hold_rows(info, 3, "inputs", rows, model.spec.inputs);
    auto* w = new VelocityWorker(info.Env(), std::move(model), std::move(states), std::move(inputs), rows);
    w->Queue();
    return w->promise();
  });
}

// ---- Jacobians --------------------------------------------------------------------------------------------------

class JacobianWorker : public PromiseWorker {
 public:
  JacobianWorker(Napi::Env env, HeldModel model, HeldArray<double> state, HeldArray<double> input, bool structured)
      : PromiseWorker(env), model_(std::move(model)), state_(std::move(state)), input_(std::move(input)),
        structured_(structured) {}

 protected:
  void Run() override {
    const VectorField<double> field(model_.spec, model_.params.data);
    const int N = field.size();
    const Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(state_.data, N);
    const Eigen::VectorXd d = field.drive(input_.data, 1).row(0).transpose();
    if (structured_) {
      const StructuredJacobian J = field.structured_jacobian(x, d);
      diagonal_.assign(J.diagonal.data(), J.diagonal.data() + N);
      const RowMatrix<double> U = J.U, V = J.V;
      u_.assign(U.data(), U.data() + U.size());
      v_.assign(V.data(), V.data() + V.size());
    } else {
      ensure_allocation_fits(double(N) * N * sizeof(double) * 2, "the dense Jacobian");
      const RowMatrix<double> J = field.jacobian(x, d);
      dense_.assign(J.data(), J.data() + J.size());
    }
  }
  Napi::Value Result(Napi::Env env) override {
    auto r = Napi::Object::New(env);
    if (structured_) {
      r.Set("diagonal", copy_out(env, diagonal_));
      r.Set("u", copy_out(env, u_));
      r.Set("v", copy_out(env, v_));
    } else {
      r.Set("jacobian", copy_out(env, dense_));
    }
    return r;
  }

 private:
  HeldModel model_;
  HeldArray<double> state_, input_;
  bool structured_;
  std::vector<double> dense_, diagonal_, u_, v_;
};

// jacobian(spec, params, state [N], input [K], { structured }) -> Promise<{ jacobian [N, N] } |
//   { diagonal [N], u [N, R], v [N, R] }> with J = diag(diagonal) + u v^T
Napi::Value Jacobian(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    HeldModel model = hold_model(info);
    const auto opts = object_arg(info, 4, "options");
    const bool structured = bool_field(opts, "structured");
    if (structured && !model.spec.lowRank())
      throw Napi::TypeError::New(info.Env(), "a structured Jacobian needs a low-rank net");
    auto state = hold_rows(info, 2, "state", 1, model.spec.size);
    auto input = hold_rows(info, 3, "input", 1, model.spec.inputs);
    auto* w = new JacobianWorker(info.Env(), std::move(model), std::move(state), std::move(input), structured);
    w->Queue();
    return w->promise();
  });
}

// ---- eigendecompositions ----------------------------------------------------------------------------------------

class LinearizeWorker : public PromiseWorker {
 public:
  LinearizeWorker(Napi::Env env, HeldModel model, HeldArray<double> states, HeldArray<double> inputs, int rows,
                  LinearizeOptions opts, Device device)
      : PromiseWorker(env), model_(std::move(model)), states_(std::move(states)), inputs_(std::move(inputs)),
        rows_(rows), opts_(opts) {
    run_reduced_on(device, model_.spec, model_.params.data, opts_);
  }

 protected:
  void Run() override {
    const VectorField<double> field(model_.spec, model_.params.data);
    reduced_ = uses_reduced_problem(model_.spec, opts_.method);
    pairs_ = linearize(field, rows_of(states_.data, rows_, field.size()), field.drive(inputs_.data, rows_), opts_);
  }
  Napi::Value Result(Napi::Env env) override {
    auto r = eigenpairs_out(env, pairs_);
    r.Set("reduced", reduced_);
    return r;
  }

 private:
  HeldModel model_;
  HeldArray<double> states_, inputs_;
  int rows_;
  LinearizeOptions opts_;
  bool reduced_ = false;
  std::vector<Eigenpairs> pairs_;
};

// linearize(spec, params, states [rows, N], inputs [rows, K], { rows, method, right, left, threads, device })
Napi::Value Linearize(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    HeldModel model = hold_model(info);
    const auto opts = object_arg(info, 4, "options");
    const int rows = positive_field(opts, "rows");
    const LinearizeOptions lin = linearize_options(opts);
    const bool reduced = uses_reduced_problem(model.spec, lin.method);
    const double dim = reduced ? model.spec.rank : model.spec.size;
    ensure_allocation_fits(double(rows) * dim * model.spec.size * 16.0 * (int(lin.rightVectors) + int(lin.leftVectors)) +
                               (reduced ? 0.0 : double(model.spec.size) * model.spec.size * 8.0 * 8.0),
                           "the eigendecompositions");
    auto states = hold_rows(info, 2, "states", rows, model.spec.size);
    auto inputs = hold_rows(info, 3, "inputs", rows, model.spec.inputs);
    const Device device = device_field(opts);  // where the reduced problems are solved
    auto* w = new LinearizeWorker(info.Env(), std::move(model), std::move(states), std::move(inputs), rows, lin, device);
    w->Queue();
    return w->promise();
  });
}

// ---- fixed points -----------------------------------------------------------------------------------------------

class FixedPointWorker : public AbortableWorker<SearchProgress> {
 public:
  FixedPointWorker(Napi::Env env, const Napi::Value& onProgress, HeldModel model, HeldArray<double> initial,
                   HeldArray<double> inputs, HeldArray<int32_t> conditions, int candidates, FixedPointOptions opts,
                   Device device)
      : AbortableWorker<SearchProgress>(env, onProgress), model_(std::move(model)), initial_(std::move(initial)),
        inputs_(std::move(inputs)), conditions_(std::move(conditions)), candidates_(candidates), opts_(opts) {
    run_search_on(device, model_.spec, model_.params.data, opts_);
  }

 protected:
  void Run(const std::function<void(const SearchProgress&)>& report, const std::atomic<bool>& abort) override {
    result_ = find_fixed_points(model_.spec, model_.params.data, initial_.data, inputs_.data, conditions_.data,
                                candidates_, opts_, report, &abort);
  }
  Napi::Value ReportValue(Napi::Env env, const SearchProgress& p) override { return progress_out(env, p); }
  Napi::Value Result(Napi::Env env) override {
    auto r = Napi::Object::New(env);
    r.Set("aborted", result_.aborted);
    if (result_.aborted) return r;
    r.Set("finalStates", copy_out(env, result_.finalStates));
    r.Set("finalQ", copy_out(env, result_.finalQ));
    r.Set("adamIterations", copy_out(env, result_.adamIterations));
    r.Set("polishIterations", copy_out(env, result_.polishIterations));
    r.Set("latentIterations", copy_out(env, result_.latentIterations));
    r.Set("points", copy_out(env, result_.points));
    r.Set("pointQ", copy_out(env, result_.pointQ));
    r.Set("pointConditions", copy_out(env, result_.pointConditions));
    r.Set("latent", result_.latent);
    r.Set("assignment", copy_out(env, result_.assignment));
    r.Set("representative", copy_out(env, result_.representative));
    r.Set("reduced", result_.reduced);
    r.Set("eigen", eigenpairs_out(env, result_.linear));
    return r;
  }

 private:
  HeldModel model_;
  HeldArray<double> initial_, inputs_;
  HeldArray<int32_t> conditions_;
  int candidates_;
  FixedPointOptions opts_;
  FixedPointSearch result_;
};

// findFixedPoints(spec, params, initial [P, N], inputs [P, K], conditions: Int32Array [P], options, onProgress?)
//   -> { promise, abort }
Napi::Value FindFixedPoints(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    HeldModel model = hold_model(info);
    const auto o = object_arg(info, 5, "options");
    const int P = positive_field(o, "candidates");
    FixedPointOptions f;
    f.maxIterations = int_field(o, "maxIterations");
    f.lr = number_field(o, "lr");
    f.beta1 = number_field(o, "beta1");
    f.beta2 = number_field(o, "beta2");
    f.eps = number_field(o, "eps");
    f.plateauFactor = number_field(o, "plateauFactor");
    f.plateauPatience = int_field(o, "plateauPatience");
    f.minLr = number_field(o, "minLr");
    f.adamTolQ = number_field(o, "adamTolQ");
    f.singlePrecision = bool_field(o, "singlePrecision");
    f.polishIterations = int_field(o, "polishIterations");
    f.polishTolQ = number_field(o, "polishTolQ");
    f.acceptQ = number_field(o, "acceptQ");
    f.uniqueTolerance = number_field(o, "uniqueTolerance");
    f.outlierScale = number_field(o, "outlierScale");
    f.linearize = linearize_options(o);
    f.threads = f.linearize.threads;
    f.latent = bool_field(o, "latent");
    f.newton = bool_field(o, "newton");
    f.latentStarts = int_field(o, "latentStarts");
    f.latentIterations = int_field(o, "latentIterations");
    f.seed = seed_field(o, "seed");
    auto initial = hold_rows(info, 2, "initial", P, model.spec.size);
    auto inputs = hold_rows(info, 3, "inputs", P, model.spec.inputs);
    auto conditions = hold_array<int32_t>(info.Env(), info[4], "conditions", size_t(P));
    const Device device = device_field(o);  // where the first phase and the reduced eigenproblems run
    auto* w = new FixedPointWorker(info.Env(), info[6], std::move(model), std::move(initial), std::move(inputs),
                                   std::move(conditions), P, f, device);
    return w->start(info.Env());
  });
}

// ---- topology ---------------------------------------------------------------------------------------------------

class SettleWorker : public AbortableWorker<SearchProgress> {
 public:
  SettleWorker(Napi::Env env, const Napi::Value& onProgress, HeldModel model, HeldArray<double> starts,
               HeldArray<double> inputs, HeldArray<int32_t> startConditions, int startCount, HeldArray<double> points,
               HeldArray<int32_t> pointConditions, HeldArray<uint8_t> stable, int pointCount, SettleOptions opts)
      : AbortableWorker<SearchProgress>(env, onProgress), model_(std::move(model)), starts_(std::move(starts)),
        inputs_(std::move(inputs)), startConditions_(std::move(startConditions)), startCount_(startCount),
        points_(std::move(points)), pointConditions_(std::move(pointConditions)), stable_(std::move(stable)),
        pointCount_(pointCount), opts_(opts) {}

 protected:
  void Run(const std::function<void(const SearchProgress&)>& report, const std::atomic<bool>& abort) override {
    result_ = settle(model_.spec, model_.params.data, starts_.data, inputs_.data, startConditions_.data, startCount_,
                     points_.data, pointConditions_.data, stable_.data, pointCount_, opts_, report, &abort);
  }
  Napi::Value ReportValue(Napi::Env env, const SearchProgress& p) override { return progress_out(env, p); }
  Napi::Value Result(Napi::Env env) override {
    auto r = Napi::Object::New(env);
    r.Set("aborted", result_.aborted);
    r.Set("end", copy_out(env, result_.end));
    r.Set("steps", copy_out(env, result_.steps));
    r.Set("finalStates", copy_out(env, result_.finalStates));
    return r;
  }

 private:
  HeldModel model_;
  HeldArray<double> starts_, inputs_;
  HeldArray<int32_t> startConditions_;
  int startCount_;
  HeldArray<double> points_;
  HeldArray<int32_t> pointConditions_;
  HeldArray<uint8_t> stable_;
  int pointCount_;
  SettleOptions opts_;
  SettleRuns result_;
};

// settle(spec, params, starts [S, N], inputs [S, K], startConditions [S], points [U, N], pointConditions [U],
//        stable: Uint8Array [U], { starts, points, maxSteps, checkEvery, radius, settleQ, threads }, onProgress?)
//   -> { promise, abort }
Napi::Value Settle(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    HeldModel model = hold_model(info);
    const auto o = object_arg(info, 8, "options");
    const int S = positive_field(o, "starts"), U = positive_field(o, "points");
    SettleOptions s;
    s.maxSteps = int_field(o, "maxSteps");
    s.checkEvery = int_field(o, "checkEvery");
    s.radius = number_field(o, "radius");
    s.settleQ = number_field(o, "settleQ");
    s.threads = threads_field(o);
    const Napi::Env env = info.Env();
    auto starts = hold_rows(info, 2, "starts", S, model.spec.size);
    auto inputs = hold_rows(info, 3, "inputs", S, model.spec.inputs);
    auto startConditions = hold_array<int32_t>(env, info[4], "startConditions", size_t(S));
    auto points = hold_rows(info, 5, "points", U, model.spec.size);
    auto pointConditions = hold_array<int32_t>(env, info[6], "pointConditions", size_t(U));
    auto stable = hold_array<uint8_t>(env, info[7], "stable", size_t(U));
    auto* w = new SettleWorker(env, info[9], std::move(model), std::move(starts), std::move(inputs),
                               std::move(startConditions), S, std::move(points), std::move(pointConditions),
                               std::move(stable), U, s);
    return w->start(env);
  });
}

}  // namespace

void register_analysis(Napi::Env env, Napi::Object exports) {
  auto a = Napi::Object::New(env);
  a.Set("velocity", Napi::Function::New(env, Velocity));
  a.Set("jacobian", Napi::Function::New(env, Jacobian));
  a.Set("linearize", Napi::Function::New(env, Linearize));
  a.Set("eigen", Napi::Function::New(env, dense_eigen));  // native/napi/linalg.cc
  a.Set("findFixedPoints", Napi::Function::New(env, FindFixedPoints));
  a.Set("settle", Napi::Function::New(env, Settle));
  exports.Set("dynamics", a);
}

}  // namespace lowrank
