// assets: the page's files (tools/serve/web/), embedded into the binary at build time by
// tools/serve/embed_assets.cmake, so `pluma serve` needs no files and no network.
#pragma once
#include <cstddef>
#include <string>

namespace pluma::serve {

struct web_asset {
  const char* name;            // "index.html", "main.js", ...
  const char* mime;
  const unsigned char* data;
  size_t size;
};

// The asset called `name` (a file name under web/), or nullptr.
const web_asset* web_asset_find(const std::string& name);

}  // namespace pluma::serve
