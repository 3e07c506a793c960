#include "tools/serve/server.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>

#include <httplib.h>

#include "model/core/threads.h"
#include "tools/serve/api.h"
#include "tools/serve/assets.h"
#include "tools/serve/generate_stream.h"
#include "tools/serve/request.h"

namespace pluma::serve {

namespace {

void send_json(httplib::Response& res, int status, const nlohmann::json& j) {
  res.status = status;
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", message}});
}

// A JSON endpoint: the body goes to `fn`; api_errors become their status, anything else a 500 (logged).
template <typename Fn>
httplib::Server::Handler json_endpoint(Fn fn) {
  return [fn](const httplib::Request& req, httplib::Response& res) {
    threads_adopt();   // this worker computes with the --threads of the command line
    try {
      const auto t0 = std::chrono::steady_clock::now();
      nlohmann::json answer = fn(req.body);
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      res.set_header("Server-Timing", "compute;dur=" + std::to_string(ms));  // the time the answer took here
      send_json(res, 200, answer);
    } catch (const api_error& e) {
      send_error(res, e.status, e.what());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "pluma serve: %s %s: %s\n", req.method.c_str(), req.path.c_str(), e.what());
      send_error(res, 500, std::string("internal error: ") + e.what());
    }
  };
}

void add_generate(httplib::Server& svr, model_set& models) {
  svr.Post("/api/generate", [&models](const httplib::Request& req, httplib::Response& res) {
    std::shared_ptr<generate_job> job;
    try {
      job = std::make_shared<generate_job>(generate_job_parse(models, req.body));
    } catch (const api_error& e) {
      return send_error(res, e.status, e.what());
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider("text/event-stream", [job](size_t, httplib::DataSink& sink) {
      threads_adopt();
      const generate_outcome out = generate_job_run(*job, [&sink](const std::string& bytes) {
        return sink.write(bytes.data(), bytes.size());
      });
      if (out.cancelled)
        std::fprintf(stderr, "pluma serve: generate: client gone, stopped after %d tokens\n", out.tokens);
      else
        sink.done();
      return !out.cancelled;
    });
  });
}

void add_assets(httplib::Server& svr) {
  svr.Get(R"(/(|[A-Za-z0-9_.-]+))", [](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1].str().empty() ? "index.html" : req.matches[1].str();
    const web_asset* a = web_asset_find(name);
    if (!a) return send_error(res, 404, "no such page: /" + name);
    res.set_content(reinterpret_cast<const char*>(a->data), a->size, a->mime);
  });
}

}  // namespace

status serve_run(const server_config& cfg, model_set& models) {
  std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not end the server
  httplib::Server svr;
  const int workers = cfg.workers;
  svr.new_task_queue = [workers] { return new httplib::ThreadPool(static_cast<size_t>(workers)); };
  svr.set_payload_max_length(max_body_bytes);
  svr.set_tcp_nodelay(true);      // small answers go out at once (Nagle would hold them ~40 ms)
  svr.set_keep_alive_timeout(1);  // an idle browser connection frees its worker soon
  svr.set_read_timeout(10, 0);
  svr.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    // cpp-httplib caps form-encoded bodies (curl -d's default type) at 8 KiB whatever the limit
    const bool form = req.get_header_value("Content-Type").find("x-www-form-urlencoded") != std::string::npos;
    if (res.status == 413 && form)
      send_error(res, 413, "a body sent as application/x-www-form-urlencoded may have 8 KiB at most; send it as "
                           "Content-Type: application/json (up to " + std::to_string(max_body_bytes / 1024) + " KiB)");
    else if (res.status == 413) send_error(res, 413, "the request body is over " + std::to_string(max_body_bytes / 1024) + " KiB");
    else if (res.status == 404) send_error(res, 404, "not found");
    else send_error(res, res.status, "HTTP error " + std::to_string(res.status));
  });

  svr.Get("/api/models", [&models](const httplib::Request&, httplib::Response& res) { send_json(res, 200, api_models(models)); });
  svr.Post("/api/tokenize", json_endpoint([&models](const std::string& b) { return api_tokenize(models, b); }));
  svr.Post("/api/probs", json_endpoint([&models](const std::string& b) { return api_probs(models, b); }));
  svr.Post("/api/score", json_endpoint([&models](const std::string& b) { return api_score(models, b); }));
  svr.Post("/api/sample", json_endpoint([&models](const std::string& b) { return api_sample(models, b); }));
  add_generate(svr, models);
  add_assets(svr);

  int port = cfg.port;
  if (port == 0) {
    port = svr.bind_to_any_port(cfg.host);
    if (port < 0) return status::error("cannot bind to " + cfg.host);
  } else if (!svr.bind_to_port(cfg.host, port)) {
    return status::error("cannot listen on " + cfg.host + ":" + std::to_string(port) + " (in use? try --port)");
  }
  std::printf("pluma serve: http://%s:%d/\n", cfg.host.c_str(), port);
  std::fflush(stdout);
  if (!svr.listen_after_bind()) return status::error("the server stopped");
  return status::ok();
}

}  // namespace pluma::serve
