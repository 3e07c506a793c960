// pluma serve: the inspector in the browser (next-token table and tree, the sampler stage by stage, scoring)
// and its JSON API, over the checkpoints named at start.
#include <cstdio>

#include "tools/cli_common.h"
#include "tools/serve/model_set.h"
#include "tools/serve/server.h"

namespace pluma::cli {
namespace {

int run_serve(int argc, char** argv) {
  cxxopts::Options opts(argv[0], "Serve the inspector page and its JSON API for one or more checkpoints.\n"
                                 "Requests choose among these models by name (the file's stem); they never name files.\n"
                                 "Listens on 127.0.0.1 unless --host says otherwise. There is no authentication.");
  opts.add_options()
    ("checkpoint", "Model checkpoint (.pluma); repeat for several", cxxopts::value<std::vector<std::string>>())
    ("port", "TCP port (0: any free one, printed)", cxxopts::value<int>()->default_value("8080"))
    ("host", "Address to listen on", cxxopts::value<std::string>()->default_value("127.0.0.1"))
    ("workers", "Threads answering requests", cxxopts::value<int>()->default_value("8"))
    ("threads", "CPU threads per model computation (default: all cores)", cxxopts::value<int>()->default_value("0"));
  add_help(opts);
  auto r = parse_or_exit(opts, argc, argv);
  if (!r.count("checkpoint")) usage_error(opts, "--checkpoint FILE is required");
  serve::server_config cfg;
  cfg.port = r["port"].as<int>();
  cfg.host = r["host"].as<std::string>();
  cfg.workers = r["workers"].as<int>();
  if (cfg.port < 0 || cfg.port > 65535) usage_error(opts, "--port must be between 0 and 65535 (got " + std::to_string(cfg.port) + ")");
  if (cfg.workers < 1 || cfg.workers > 256) usage_error(opts, "--workers must be between 1 and 256 (got " + std::to_string(cfg.workers) + ")");
  apply_threads(opts, r["threads"].as<int>());

  serve::model_set models;
  if (status st = models.load(r["checkpoint"].as<std::vector<std::string>>()); !st) fail(st.message());
  if (cfg.host != "127.0.0.1" && cfg.host != "localhost" && cfg.host != "::1")
    std::fprintf(stderr, "pluma serve: warning: listening on %s: anyone who can reach it can use these models; "
                         "the server has no authentication\n", cfg.host.c_str());
  if (status st = serve::serve_run(cfg, models); !st) fail(st.message());
  return 0;
}

}  // namespace
PLUMA_COMMAND("serve", "Inspector in the browser: next-token table, tree, sampler stages, scoring (+ JSON API)", run_serve);
}  // namespace pluma::cli
