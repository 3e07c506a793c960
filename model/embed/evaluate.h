// evaluate: the analogy test in word2vec's questions-words format (": section" lines, then
// "a b c d" lines meaning a : b :: c : d), scored as word2vec's compute-accuracy and gensim's
// evaluate_word_analogies do: only the first `restrict_vocab` rows are searched and known; a question
// with a word outside them is counted as unanswered (coverage), not hidden; the answer is the best
// row by 3CosAdd (or 3CosMul) of b - a + c, the three question words excluded.
#pragma once
#include <string>
#include <vector>

#include "model/embed/query.h"

namespace pluma {

struct analogy_question {
  std::string a, b, c, expected;
  int line = 0;
};

struct analogy_section {
  std::string name;
  std::vector<analogy_question> questions;
};

// Parses the questions file; a line that is neither ": name" nor four words is an error naming it.
// Questions before any ": section" line go into a section named "(no section)".
status questions_read(const std::string& path, std::vector<analogy_section>& out);

struct analogy_eval_config {
  bool case_insensitive = true;
  int restrict_vocab = 300000;  // 0: every row (gensim's default; word2vec's compute-accuracy takes 30000)
  analogy_method method = analogy_method::add;
};

struct section_score {
  std::string name;
  int asked = 0, answered = 0, correct = 0;
  double accuracy() const { return answered ? static_cast<double>(correct) / answered : 0.0; }
  double coverage() const { return asked ? static_cast<double>(answered) / asked : 0.0; }
};

struct analogy_eval_result {
  std::vector<section_score> sections;
  section_score total;   // name "total"
};

analogy_eval_result analogy_evaluate(const word_vectors& v, const std::vector<analogy_section>& questions,
                                     const analogy_eval_config& cfg);

}  // namespace pluma
