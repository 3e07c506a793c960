// server: `pluma serve`'s HTTP side (cpp-httplib): the page and its assets, the JSON API, limits, the pool.
#pragma once
#include <string>

#include "tools/serve/model_set.h"

namespace pluma::serve {

struct server_config {
  std::string host = "127.0.0.1";
  int port = 8080;          // 0: any free port (the one chosen is printed)
  int workers = 8;          // threads answering requests; more requests wait in line
};

// Binds, prints the URL on stdout ("pluma serve: http://HOST:PORT/"), and serves until the process ends.
// Returns an error when the address cannot be bound.
status serve_run(const server_config& cfg, model_set& models);

}  // namespace pluma::serve
