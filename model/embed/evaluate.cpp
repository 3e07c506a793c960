#include "model/embed/evaluate.h"

#include <array>
#include <fstream>
#include <sstream>
#include <unordered_map>

namespace pluma {

status questions_read(const std::string& path, std::vector<analogy_section>& out) {
  std::ifstream f(path);
  if (!f) return status::error("cannot open questions file '" + path + "'");
  out.clear();
  std::string line;
  int no = 0;
  while (std::getline(f, line)) {
    no++;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (line[0] == ':') {
      size_t b = line.find_first_not_of(" \t", 1);
      out.push_back({b == std::string::npos ? "" : line.substr(b), {}});
      continue;
    }
    analogy_question q;
    std::string extra;
    std::istringstream words(line);
    if (!(words >> q.a >> q.b >> q.c >> q.expected) || (words >> extra))
      return status::error("questions file '" + path + "': line " + std::to_string(no) +
                           ": expected ': section' or four words 'a b c d', got '" + line.substr(0, 60) + "'");
    q.line = no;
    if (out.empty()) out.push_back({"(no section)", {}});
    out.back().questions.push_back(std::move(q));
  }
  if (out.empty()) return status::error("questions file '" + path + "' has no questions");
  return status::ok();
}

analogy_eval_result analogy_evaluate(const word_vectors& v, const std::vector<analogy_section>& questions,
                                     const analogy_eval_config& cfg) {
  const int n = cfg.restrict_vocab > 0 ? std::min(cfg.restrict_vocab, v.size()) : v.size();
  // The known words: the first n rows; case-insensitive, the most frequent (first) row of each form.
  std::unordered_map<std::string, int> known;
  for (int i = n - 1; i >= 0; i--) known[cfg.case_insensitive ? utf8_lower(v.words[i]) : v.words[i]] = i;
  auto row_of = [&](const std::string& w) {
    auto it = known.find(cfg.case_insensitive ? utf8_lower(w) : w);
    return it == known.end() ? -1 : it->second;
  };
  unit_vectors u = unit_vectors_make(v);
  analogy_eval_result res;
  res.total.name = "total";
  for (const auto& sec : questions) {
    section_score sc;
    sc.name = sec.name;
    sc.asked = static_cast<int>(sec.questions.size());
    std::vector<int> todo;   // questions answerable, then their outcome
    std::vector<std::array<int, 4>> rows(sec.questions.size());
    for (size_t qi = 0; qi < sec.questions.size(); qi++) {
      const auto& q = sec.questions[qi];
      rows[qi] = {row_of(q.a), row_of(q.b), row_of(q.c), row_of(q.expected)};
      if (rows[qi][0] >= 0 && rows[qi][1] >= 0 && rows[qi][2] >= 0 && rows[qi][3] >= 0) todo.push_back(qi);
    }
    std::vector<char> right(todo.size(), 0);
#pragma omp parallel for schedule(dynamic, 8)
    for (size_t t = 0; t < todo.size(); t++) {
      const auto& r = rows[todo[t]];
      // b - a + c; the best row other than a, b, c (the search excludes them)
      // (as gensim: another spelling of a question word is skipped too, and the answer is compared by form)
      auto form = [&](int row) { return cfg.case_insensitive ? utf8_lower(v.words[row]) : v.words[row]; };
      auto best = analogy_rows(u, {r[1], r[2]}, {r[0]}, cfg.method, 8, n);
      for (const auto& s : best) {
        std::string f = form(s.row);
        if (f == form(r[0]) || f == form(r[1]) || f == form(r[2])) continue;
        right[t] = f == form(r[3]);
        break;
      }
    }
    sc.answered = static_cast<int>(todo.size());
    for (char c : right) sc.correct += c;
    res.total.asked += sc.asked;
    res.total.answered += sc.answered;
    res.total.correct += sc.correct;
    res.sections.push_back(sc);
  }
  return res;
}

}  // namespace pluma
