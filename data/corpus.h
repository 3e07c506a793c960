// corpus: reading a whole text file, checked, lives in tokenizer/corpus_read.h (the tokenizers train on such
// files, and data/ may use tokenizer/ but not the other way round); this name stays for data's users.
#pragma once
#include "tokenizer/corpus_read.h"
