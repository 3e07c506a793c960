// The sampler, stage by stage: Step (/api/sample) and Run (the /api/generate event stream).
"use strict";

// ---- the sampler, stage by stage
async function step() {
  setStatus("#sampler-status", t("loading"));
  try {
    const j = await api("/api/sample", { model: state.model, prompt: state.prompt, tokens: steps, top: 15, ...samplerOptions() });
    last.sampler = j;
    renderTrace(j);
    if (!j.eos) {
      steps.push(j.chosen.id);
      appendGenerated(j.chosen.text, j.chosen);
    }
    setStatus("#sampler-status", j.eos ? t("eos") : j.chain);
  } catch (e) { setStatus("#sampler-status", e.message, true); }
}
function renderTrace(j) {
  const head = document.createElement("tr");
  head.append(document.createElement("th"));
  for (const s of j.stages) {
    const th = document.createElement("th");
    th.className = s.active ? "" : "off";
    th.innerHTML = "";
    th.append(t("stage_" + s.name), document.createElement("br"));
    const small = document.createElement("small");
    small.textContent = s.active ? `${s.label} · ${t("kept")} ${s.kept} · ${t("mass")} ${fmt(s.mass, 3)}` : t("off");
    th.append(small);
    head.append(th);
  }
  $("#stage-table thead").replaceChildren(head);
  $("#stage-table tbody").replaceChildren(...j.rows.map((r) => {
    const tr = document.createElement("tr");
    tr.dataset.id = r.id;
    if (r.id === j.chosen.id) tr.className = "chosen";
    const tok = document.createElement("td");
    tok.className = "tok";
    tok.textContent = pieceDisplay(r.token);
    tr.append(tok);
    r.probs.forEach((p) => {
      const td = document.createElement("td");
      td.className = p === null ? "cell cut" : "cell";
      td.textContent = p === null ? "\u00B7" : fmt(p);
      if (p !== null) { const b = document.createElement("div"); b.className = "barfill"; b.style.width = Math.min(100, 100 * p) + "%"; td.append(b); }
      tr.append(td);
    });
    return tr;
  }));
  const c = j.chosen;
  const el = $("#chosen");
  el.dataset.id = c.id;
  el.dataset.token = c.token;
  el.replaceChildren(t("chosen") + ": ");
  const b = document.createElement("b");
  b.textContent = pieceDisplay(c.token);
  el.append(b, `  ${t("prob_raw")} ${fmt(c.prob_raw)} → ${t("prob_sampled")} ${fmt(c.prob_sampled)} · ${t("uniform")} u = ${fmt(c.uniform)} · seed ${j.seed}`);
}
function appendGenerated(text, info) {
  const s = document.createElement("span");
  s.textContent = text;
  if (info) s.title = `${pieceDisplay(info.token)}  ${t("prob_raw")} ${fmt(info.prob_raw ?? info.prob)}  ${t("prob_sampled")} ${fmt(info.prob_sampled)}`;
  $("#sampler-output .generated").append(s);
}
function resetSampler() {
  if (running) running.abort();
  steps = [];
  $("#sampler-output .prompt-echo").textContent = state.prompt;
  $("#sampler-output .generated").replaceChildren();
  // the trace on show belonged to the state just left
  $("#stage-table thead").replaceChildren();
  $("#stage-table tbody").replaceChildren();
  $("#chosen").replaceChildren();
  $("#chosen").removeAttribute("data-id");
  delete last.sampler;
  delete last.sampler_run;
}
async function run() {
  resetSampler();
  const ctl = new AbortController();
  running = ctl;
  $("#run").disabled = true;
  $("#stop").disabled = false;
  setStatus("#sampler-status", t("loading"));
  const tokens = [];
  try {
    const res = await fetch("/api/generate", { method: "POST", signal: ctl.signal, headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: state.model, prompt: state.prompt, max_new_tokens: num("max_new_tokens"), ...samplerOptions() }) });
    if (!res.ok) throw new Error((await res.json()).error);
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let at;
      while ((at = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        const ev = /^event: (\w+)/m.exec(block), data = /^data: (.*)$/m.exec(block);
        if (!ev || !data) continue;
        const d = JSON.parse(data[1]);
        if (ev[1] === "token") { tokens.push(d); appendGenerated(d.text, d); }
        if (ev[1] === "done") {
          last.sampler_run = { request: { prompt: state.prompt, ...samplerOptions() }, tokens, done: d };
          setStatus("#sampler-status", `${d.tokens} ${t("tokens")} · ${d.tokens_per_second.toFixed(1)} ${t("tokens_per_second")} · ${d.stop_reason}`);
        }
      }
    }
  } catch (e) {
    setStatus("#sampler-status", e.name === "AbortError" ? t("stopped") : e.message, e.name !== "AbortError");
  } finally {
    if (running === ctl) running = null;
    $("#run").disabled = false;
    $("#stop").disabled = true;
  }
}
