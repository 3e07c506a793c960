// utf8_check: strict UTF-8 validation lives in tokenizer/utf8_check.h (see data/corpus.h for why); this name
// stays for data's users.
#pragma once
#include "tokenizer/utf8_check.h"
