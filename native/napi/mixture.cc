// Gaussian mixtures (native/core/mixture.hpp) on worker threads: fitMixture as an abortable job with per-restart
// progress, mixtureScore as a promise.
#include "mixture_binding.hpp"

#include <thread>

#include "../core/memory_guard.hpp"
#include "../core/mixture.hpp"
#include "glue.hpp"

namespace lowrank {
namespace {

using namespace glue;

CovarianceKind covariance_from(const std::string& s) {
  if (s == "full") return CovarianceKind::Full;
  if (s == "diag") return CovarianceKind::Diag;
  if (s == "tied") return CovarianceKind::Tied;
  if (s == "spherical") return CovarianceKind::Spherical;
  throw std::invalid_argument("covariance must be 'full', 'diag', 'tied' or 'spherical'; got '" + s + "'");
}

MixtureInit init_from(const std::string& s) {
  if (s == "kmeans++") return MixtureInit::KMeansPlusPlus;
  if (s == "kmeans") return MixtureInit::KMeans;
  if (s == "random") return MixtureInit::Random;
  throw std::invalid_argument("init must be 'kmeans++', 'kmeans' or 'random'; got '" + s + "'");
}

std::vector<double> optional_array(const Napi::Object& o, const char* key, size_t length) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return {};
  auto h = hold_array<double>(o.Env(), v, key, length);
  return std::vector<double>(h.data, h.data + h.length);
}

class FitWorker : public AbortableWorker<int> {
 public:
  FitWorker(Napi::Env env, HeldArray<double> x, int rows, int cols, MixtureSettings s, const Napi::Value& onProgress)
      : AbortableWorker<int>(env, onProgress), x_(std::move(x)), rows_(rows), cols_(cols), s_(std::move(s)) {}

 protected:
  void Run(const std::function<void(const int&)>& report, const std::atomic<bool>& abort) override {
    ensure_allocation_fits(double(rows_) * (3.0 * cols_ + 2.0 * s_.components) * sizeof(double) * std::max(1, s_.threads),
                           "mixture fit");
    fit_ = fit_mixture(x_.data, rows_, cols_, s_, &abort, [&](int done) { report(done); });
  }
  Napi::Value ReportValue(Napi::Env env, const int& done) override {
    auto o = Napi::Object::New(env);
    o.Set("restartsDone", done);
    o.Set("restarts", s_.restarts);
    return o;
  }
  Napi::Value Result(Napi::Env env) override {
    auto r = Napi::Object::New(env);
    r.Set("aborted", fit_.aborted);
    if (fit_.aborted) return r;
    const MixtureModel& m = fit_.model;
    r.Set("components", m.K);
    r.Set("weights", copy_out(env, m.weights));
    r.Set("means", copy_out(env, m.means));
    r.Set("covariances", copy_out(env, m.covariances));
    r.Set("logWeights", copy_out(env, m.logWeights));
    if (m.variational) {
      r.Set("meanPrecision", copy_out(env, m.meanPrecision));
      r.Set("degreesOfFreedom", copy_out(env, m.degreesOfFreedom));
    }
    r.Set("labels", copy_out(env, fit_.labels));
    r.Set("logLikelihood", fit_.logLikelihood);
    r.Set("plugInLogLikelihood", fit_.plugInLogLikelihood);
    r.Set("bic", fit_.bic);
    r.Set("aic", fit_.aic);
    r.Set("lowerBound", fit_.lowerBound);
    r.Set("converged", fit_.converged);
    r.Set("iterations", fit_.iterations);
    r.Set("bestRestart", fit_.bestRestart);
    return r;
  }

 private:
  HeldArray<double> x_;
  int rows_, cols_;
  MixtureSettings s_;
  MixtureFit fit_;
};

// fitMixture(x: Float64Array [rows x cols], { rows, cols, components, method, covariance, restarts, init,
//            maxIterations, tolerance, regCovar, seed, threads, dirichletProcess, weightConcentrationPrior,
//            meanPrecisionPrior, degreesOfFreedomPrior, meanPrior?, covariancePrior?, initialLabels? }, onProgress?) -> { promise, abort }
Napi::Value FitMixture(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const auto o = object_arg(info, 1, "options");
    const int rows = int_field(o, "rows"), cols = int_field(o, "cols");
    if (rows < 0 || cols < 1) throw Napi::RangeError::New(env, "fitMixture: rows must be >= 0 and cols >= 1");
    auto x = hold_array<double>(env, info[0], "x", size_t(checked_product(env, {rows, cols}, "x")));
    MixtureSettings s;
    s.components = int_field(o, "components");
    const std::string method = string_field(o, "method");
    if (method != "em" && method != "variational")
      throw Napi::TypeError::New(env, "fitMixture: method must be 'em' or 'variational'; got '" + method + "'");
    s.variational = method == "variational";
    s.covariance = covariance_from(string_field(o, "covariance"));
    s.restarts = int_field(o, "restarts");
    s.init = init_from(string_field(o, "init"));
    s.maxIterations = int_field(o, "maxIterations");
    s.tolerance = finite_field(o, "tolerance");
    s.regCovar = finite_field(o, "regCovar");
    s.seed = seed_field(o, "seed");
    s.threads = int_field(o, "threads");
    if (s.threads <= 0) s.threads = int(std::max(1u, std::thread::hardware_concurrency()));
    if (s.restarts < 1 || s.maxIterations < 1 || !(s.tolerance >= 0) || !(s.regCovar >= 0))
      throw Napi::RangeError::New(env, "fitMixture: restarts and maxIterations must be >= 1, tolerance and regCovar >= 0");
    const Napi::Value labels = o.Get("initialLabels");
    if (!labels.IsUndefined() && !labels.IsNull()) {
      auto h = hold_array<int32_t>(env, labels, "initialLabels", size_t(rows));
      s.initialLabels.assign(h.data, h.data + h.length);
    }
    s.prior.dirichletProcess = bool_field(o, "dirichletProcess");
    s.prior.weightConcentration = finite_field(o, "weightConcentrationPrior");
    s.prior.meanPrecision = finite_field(o, "meanPrecisionPrior");
    s.prior.degreesOfFreedom = finite_field(o, "degreesOfFreedomPrior");
    s.prior.mean = optional_array(o, "meanPrior", size_t(cols));
    const size_t covLen = s.covariance == CovarianceKind::Full || s.covariance == CovarianceKind::Tied ? size_t(cols) * cols
                          : s.covariance == CovarianceKind::Diag                                      ? size_t(cols)
                                                                                                      : 1;
    s.prior.covariance = optional_array(o, "covariancePrior", covLen);
    const Napi::Value onProgress = info.Length() > 2 ? info[2] : env.Undefined();
    auto* w = new FitWorker(env, std::move(x), rows, cols, std::move(s), onProgress);
    return w->start(env);
  });
}

// mixtureScore({ components, dims, variational, means, covariances, logWeights, meanPrecision?, degreesOfFreedom? },
//              x: Float64Array [rows x dims], rows) -> Promise<{ logResp [rows x components], logProbNorm [rows] }>
Napi::Value MixtureScore(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const auto o = object_arg(info, 0, "model");
    MixtureModel m;
    m.K = int_field(o, "components");
    m.D = int_field(o, "dims");
    if (m.K < 1 || m.D < 1) throw Napi::RangeError::New(env, "mixtureScore: components and dims must be >= 1");
    m.variational = bool_field(o, "variational");
    auto copy = [&](const char* key, size_t n) {
      auto h = hold_array<double>(env, o.Get(key), key, n);
      return std::vector<double>(h.data, h.data + h.length);
    };
    m.means = copy("means", size_t(checked_product(env, {m.K, m.D}, "means")));
    m.covariances = copy("covariances", size_t(checked_product(env, {m.K, m.D, m.D}, "covariances")));
    m.logWeights = copy("logWeights", size_t(m.K));
    if (m.variational) {
      m.meanPrecision = copy("meanPrecision", size_t(m.K));
      m.degreesOfFreedom = copy("degreesOfFreedom", size_t(m.K));
    }
    if (info.Length() < 3 || !info[2].IsNumber()) throw Napi::TypeError::New(env, "mixtureScore: rows must be a number");
    const int rows = info[2].As<Napi::Number>().Int32Value();
    auto x = hold_array<double>(env, info[1], "x", size_t(checked_product(env, {rows, m.D}, "x")));
    struct Out {
      std::vector<double> logResp, logProbNorm;
    };
    return queue_work(
        env,
        [m = std::move(m), x = std::move(x), rows] {
          ensure_allocation_fits(double(rows) * (m.K + 1 + m.D) * sizeof(double), "mixture scores");
          Out out;
          out.logResp.resize(size_t(rows) * m.K);
          out.logProbNorm.resize(size_t(rows));
          mixture_score(m, x.data, rows, out.logResp.data(), out.logProbNorm.data());
          return out;
        },
        [](Napi::Env env, const Out& out) -> Napi::Value {
          return arrays_out(env, named("logResp", out.logResp), named("logProbNorm", out.logProbNorm));
        });
  });
}

}  // namespace

void register_mixture(Napi::Env env, Napi::Object exports) {
  exports.Set("fitMixture", Napi::Function::New(env, FitMixture));
  exports.Set("mixtureScore", Napi::Function::New(env, MixtureScore));
}

}  // namespace lowrank
