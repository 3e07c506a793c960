#include "train/metrics.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

namespace pluma {

std::string metrics_to_json(const metrics_record& r) {
  nlohmann::ordered_json j;
  j["iter"] = r.iter;
  if (r.loss) j["loss"] = *r.loss;
  if (r.train_loss) j["train_loss"] = *r.train_loss;
  if (r.val_loss) j["val_loss"] = *r.val_loss;
  if (r.val_bleu) j["val_bleu"] = *r.val_bleu;
  j["lr"] = r.lr;
  j["tokens_per_s"] = r.tokens_per_s;
  return j.dump();
}

status metrics_from_json(const std::string& line, metrics_record& out) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return status::error("not a JSON object");
  if (!j.contains("iter") || !j["iter"].is_number_integer()) return status::error("no integer \"iter\" field");
  metrics_record r;
  r.iter = j["iter"].get<int>();
  auto opt = [&](const char* key, std::optional<double>& dst) -> status {
    if (!j.contains(key) || j[key].is_null()) return status::ok();
    if (!j[key].is_number()) return status::error(std::string("\"") + key + "\" is not a number");
    dst = j[key].get<double>();
    return status::ok();
  };
  std::optional<double> lr, tps;
  PLUMA_TRY(opt("loss", r.loss));
  PLUMA_TRY(opt("train_loss", r.train_loss));
  PLUMA_TRY(opt("val_loss", r.val_loss));
  PLUMA_TRY(opt("val_bleu", r.val_bleu));
  PLUMA_TRY(opt("lr", lr));
  PLUMA_TRY(opt("tokens_per_s", tps));
  r.lr = lr.value_or(0);
  r.tokens_per_s = tps.value_or(0);
  out = r;
  return status::ok();
}

status metrics_read(const std::string& path, std::vector<metrics_record>& out) {
  std::ifstream in(path);
  if (!in) return status::error("cannot open metrics file '" + path + "': " + std::strerror(errno));
  out.clear();
  std::string line;
  for (int n = 1; std::getline(in, line); n++) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    metrics_record r;
    status st = metrics_from_json(line, r);
    if (!st) return st.with_context("metrics file '" + path + "' line " + std::to_string(n));
    out.push_back(r);
  }
  return status::ok();
}

metrics_writer::~metrics_writer() { close(); }

void metrics_writer::close() {
  if (f_) std::fclose(f_);
  f_ = nullptr;
}

status metrics_writer::open(const std::string& path, int keep_before_iter) {
  close();
  std::vector<std::string> kept;
  if (keep_before_iter >= 0) {
    std::ifstream in(path);
    std::string line;
    while (in && std::getline(in, line)) {
      metrics_record r;
      if (metrics_from_json(line, r) && r.iter < keep_before_iter) kept.push_back(line);
    }
  }
  f_ = std::fopen(path.c_str(), "w");
  if (!f_) return status::error("cannot write metrics file '" + path + "': " + std::strerror(errno));
  path_ = path;
  for (const auto& line : kept) std::fprintf(f_, "%s\n", line.c_str());
  std::fflush(f_);
  return status::ok();
}

status metrics_writer::write(const metrics_record& r) {
  if (!f_) return status::error("metrics file is not open");
  std::string s = metrics_to_json(r);
  if (std::fprintf(f_, "%s\n", s.c_str()) < 0 || std::fflush(f_) != 0)
    return status::error("writing metrics file '" + path_ + "' failed: " + std::strerror(errno));
  return status::ok();
}

}  // namespace pluma
