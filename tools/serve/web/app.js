// pluma inspector: the page of `pluma serve`. Talks only to the JSON API (/api/...). No framework, no build.
"use strict";

const $ = (sel) => document.querySelector(sel);
const SAMPLER_FIELDS = ["temperature", "top_k", "top_p", "min_p", "repetition_penalty", "seed"];
const NUMBER_FIELDS = ["top", "probs-temperature", "max_new_tokens", ...SAMPLER_FIELDS];

const state = { lang: "es", tab: "next", model: "", prompt: "", score: "" };
let models = [];
const last = {};            // the last answer shown in each view, for "Export JSON"
let steps = [];             // ids drawn by "Step" since the last reset
let running = null;         // AbortController of a running generation

function t(key) { return (I18N[state.lang] && I18N[state.lang][key]) || I18N.en[key] || key; }

// ---- pieces, shown as `pluma probs` shows them; and the text a piece adds to a prompt
function pieceDisplay(p) {
  let s = "";
  for (const ch of p) {
    const c = ch.codePointAt(0);
    if (ch === "\n") s += "\\n";
    else if (ch === "\t") s += "\\t";
    else if (ch === "\r") s += "\\r";
    else if (ch === "\\") s += "\\\\";
    else if (ch === " ") s += "\u2423";
    else if (c < 0x20 || c === 0x7f) s += "\\x" + c.toString(16).padStart(2, "0");
    else s += ch;
  }
  return s;
}
function pieceText(p) {
  if (/^<(pad|unk|sos|eos)>$/.test(p)) return "";
  const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(p);
  if (byte) { const c = parseInt(byte[1], 16); return c < 0x80 ? String.fromCharCode(c) : ""; }
  return p.replace(/\u2581/g, " ");
}
const fmt = (x, d = 4) => (x === null || x === undefined) ? "" : Number(x).toFixed(d);

// ---- the API
async function api(path, body) {
  const res = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const j = await res.json();
  if (!res.ok) throw new Error(j.error || res.statusText);
  return j;
}
function setStatus(id, text, error) {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle("error", !!error);
}

// ---- state <-> URL and inputs
function readUrl() {
  const q = new URLSearchParams(location.search);
  for (const k of ["lang", "tab", "model", "prompt", "score"]) if (q.has(k)) state[k] = q.get(k);
  if (!q.has("lang") && !(navigator.language || "").startsWith("es")) state.lang = "en";
  if (q.has("lang")) state.lang = q.get("lang") === "en" ? "en" : "es";
  for (const k of NUMBER_FIELDS) if (q.has(k)) $("#" + k).value = q.get(k);
  $("#prompt").value = state.prompt;
  $("#score-text").value = state.score;
}
function writeUrl() {
  const q = new URLSearchParams();
  q.set("lang", state.lang);
  q.set("tab", state.tab);
  if (state.model) q.set("model", state.model);
  if (state.prompt) q.set("prompt", state.prompt);
  if (state.score && state.score.length < 2000) q.set("score", state.score);
  for (const k of NUMBER_FIELDS) if ($("#" + k).value !== $("#" + k).defaultValue) q.set(k, $("#" + k).value);
  history.replaceState(null, "", "?" + q.toString());
}
function num(id) { return Number($("#" + id).value); }
function samplerOptions() {
  const o = {};
  for (const k of SAMPLER_FIELDS) o[k] = num(k);
  return o;
}

// ---- language and tabs
function applyLanguage() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  $("#lang-switch").textContent = state.lang === "es" ? "EN" : "ES";
  $("#prompt").placeholder = t("empty_prompt");
  if (last.sampler) renderTrace(last.sampler);
  if (last.score) renderScore(last.score);
  renderCard();
}
function showTab(tab) {
  state.tab = ["next", "sampler", "score", "model"].includes(tab) ? tab : "next";
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.tab === state.tab);
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== "view-" + state.tab;
  $("#prompt-box").hidden = state.tab === "score" || state.tab === "model";
  writeUrl();
}

// ---- next-token table and tree
let nextSeq = 0;
let nextTimer = null;
function scheduleNext() {
  clearTimeout(nextTimer);
  nextTimer = setTimeout(refreshNext, 250);
}
function probsRequest(tokens) {
  const body = { model: state.model, prompt: state.prompt, top: num("top"), temperature: num("probs-temperature") };
  if (tokens && tokens.length) body.tokens = tokens;
  return body;
}
async function refreshNext() {
  const seq = ++nextSeq;
  setStatus("#next-status", t("loading"));
  try {
    const j = await api("/api/probs", probsRequest());
    if (seq !== nextSeq) return;           // a newer prompt is on its way
    last.next = j;
    const body = $("#next-table tbody");
    body.replaceChildren(...j.tokens.map((n) => nextRow(n, [], 1, 0)));
    setStatus("#next-status", "");
  } catch (e) {
    if (seq === nextSeq) setStatus("#next-status", e.message, true);
  }
  refreshPieces();
}
function nextRow(node, parentPath, parentProb, depth) {
  const tr = document.createElement("tr");
  const path = [...parentPath, { id: node.id, token: node.token }];
  const pathProb = parentProb * node.prob;
  tr.className = depth ? "child" : "";
  tr.style.setProperty("--depth", depth);
  tr.dataset.id = node.id;
  tr.dataset.token = node.token;
  tr.dataset.prob = node.prob;
  tr.dataset.depth = depth;
  const exp = document.createElement("button");
  exp.className = "expand";
  exp.textContent = "\u25B8";
  exp.title = "+";
  exp.onclick = () => toggleChildren(tr, path, pathProb, depth);
  const tok = document.createElement("a");
  tok.textContent = pieceDisplay(node.token);
  tok.title = "+ " + JSON.stringify(path.map((p) => pieceText(p.token)).join(""));
  tok.onclick = () => appendToPrompt(path.map((p) => pieceText(p.token)).join(""));
  const cells = [exp, tok, fmt(node.prob), fmt(pathProb), null];
  cells.forEach((c, i) => {
    const td = document.createElement("td");
    td.className = ["", "tok", "num prob", "num path", "bar"][i];
    if (c instanceof Node) td.append(c); else if (c !== null) td.textContent = c;
    if (i === 4) { const b = document.createElement("div"); b.className = "barfill"; b.style.width = (100 * node.prob) + "%"; td.append(b); }
    tr.append(td);
  });
  return tr;
}
async function toggleChildren(tr, path, pathProb, depth) {
  const btn = tr.querySelector("button.expand");
  if (tr.dataset.open) {               // collapse: drop the rows below that are deeper
    while (tr.nextSibling && Number(tr.nextSibling.dataset.depth) > depth) tr.nextSibling.remove();
    delete tr.dataset.open;
    btn.textContent = "\u25B8";
    return;
  }
  try {
    const j = await api("/api/probs", probsRequest(path.map((p) => p.id)));
    tr.dataset.open = "1";
    btn.textContent = "\u25BE";
    tr.after(...j.tokens.map((n) => nextRow(n, path, pathProb, depth + 1)));
  } catch (e) { setStatus("#next-status", e.message, true); }
}
function appendToPrompt(text) {
  $("#prompt").value += text;
  onPromptChange();
}
async function refreshPieces() {
  const box = $("#prompt-pieces");
  if (!state.prompt) { box.replaceChildren(); return; }
  try {
    const j = await api("/api/tokenize", { model: state.model, text: state.prompt });
    box.replaceChildren(...j.tokens.map((x) => { const s = document.createElement("span"); s.textContent = pieceDisplay(x.token); s.title = "id " + x.id; return s; }));
  } catch (e) { box.replaceChildren(); }
}

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

// ---- score
async function score() {
  setStatus("#score-status", t("loading"));
  try {
    const text = $("#score-text").value;
    const j = await api("/api/score", { model: state.model, text, top: 5 });
    const cut = await api("/api/tokenize", { model: state.model, text });
    j.first_token = cut.tokens[0];          // not scored: nothing comes before it
    last.score = j;
    renderScore(j);
    setStatus("#score-status", "");
  } catch (e) { setStatus("#score-status", e.message, true); }
}
function renderScore(j) {
  const sum = $("#score-summary");
  sum.replaceChildren();
  for (const [k, v] of [["loss", fmt(j.loss)], ["perplexity", fmt(j.perplexity, 3)], ["bits_per_char", fmt(j.bits_per_char)],
                        ["tokens", j.num_tokens], ["chars", j.num_chars]]) {
    const b = document.createElement("b");
    b.id = "score-sum-" + k;
    b.textContent = `${t(k)}: ${v}`;
    sum.append(b);
  }
  const first = document.createElement("span");
  first.className = "unscored";
  if (j.first_token) first.textContent = pieceText(j.first_token.token) || pieceDisplay(j.first_token.token);
  $("#score-tokens").replaceChildren(first, ...j.tokens.map((x) => {
    const s = document.createElement("span");
    const bits = x.surprisal_bits;
    const hue = 210 - 210 * Math.min(1, bits / 10);
    s.style.background = `hsla(${hue}, 85%, 62%, ${0.25 + 0.5 * Math.min(1, bits / 10)})`;
    s.textContent = pieceText(x.token) || pieceDisplay(x.token);
    const alts = x.top.map((a) => `${pieceDisplay(a.token)} ${fmt(a.prob, 3)}`).join("   ");
    s.title = `${pieceDisplay(x.token)}\np = ${fmt(Math.exp(x.logprob))}   ${fmt(bits, 2)} bits   ${t("rank")} ${x.rank}\n${t("alternatives")}: ${alts}`;
    return s;
  }));
}

// ---- model card
function renderCard() {
  const m = models.find((x) => x.name === state.model);
  if (!m) return;
  const rows = [["file", m.file], ["kind", m.kind.toUpperCase()], ["parameters", m.parameters.toLocaleString(state.lang)],
                ["vocab_size", m.vocab_size], ["context_length", m.context_length || "∞ (LSTM)"],
                ["tokenizer", `${m.tokenizer.kind} · ${m.tokenizer.vocab_size}`], ["config", JSON.stringify(m.config)]];
  $("#card").replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = t(k);
    dd.textContent = v;
    return [dt, dd];
  }));
  const tr = m.training || {};
  const settings = tr.settings || {};
  const summary = [["steps", tr.optimizer_steps], ["data", settings.data], ["train_loss", tr.train_loss],
                   ["val_loss", tr.val_loss], ["lr", settings.lr], ["batch", settings.batch]]
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${t(k)}: ${typeof v === "number" && !Number.isInteger(v) ? v.toFixed(4) : v}`);
  $("#card-summary").textContent = summary.length ? summary.join(" · ") : t("none");
  $("#card-training").textContent = m.training ? JSON.stringify(m.training, null, 2) : t("none");
  last.model = m;
}

// ---- export
function exportData() {
  return { view: state.tab, url: location.href,
           answer: state.tab === "sampler" ? (last.sampler_run || last.sampler) : last[state.tab] };
}
window.plumaExportData = exportData;   // what "Export JSON" saves (the browser test reads it)
function exportJson() {
  const data = exportData();
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
  a.download = `pluma-${state.tab}.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// ---- wiring
function onPromptChange() {
  state.prompt = $("#prompt").value;
  writeUrl();
  resetSampler();
  scheduleNext();
}
async function init() {
  readUrl();
  const j = await api("/api/models");
  models = j.models;
  $("#model").replaceChildren(...models.map((m) => { const o = document.createElement("option"); o.value = m.name; o.textContent = `${m.name} (${m.kind})`; return o; }));
  if (!models.some((m) => m.name === state.model)) state.model = models[0].name;
  $("#model").value = state.model;
  $("#model").onchange = () => { state.model = $("#model").value; renderCard(); onPromptChange(); };
  $("#prompt").oninput = onPromptChange;
  for (const id of ["top", "probs-temperature"]) $("#" + id).oninput = () => { writeUrl(); scheduleNext(); };
  for (const id of [...SAMPLER_FIELDS, "max_new_tokens"]) $("#" + id).oninput = () => { writeUrl(); resetSampler(); };
  $("#score-text").oninput = () => { state.score = $("#score-text").value; writeUrl(); };
  for (const b of document.querySelectorAll("#tabs button")) b.onclick = () => showTab(b.dataset.tab);
  $("#lang-switch").onclick = () => { state.lang = state.lang === "es" ? "en" : "es"; applyLanguage(); writeUrl(); };
  $("#step").onclick = step;
  $("#run").onclick = run;
  $("#stop").onclick = () => running && running.abort();
  $("#reset").onclick = resetSampler;
  $("#score-go").onclick = score;
  $("#export").onclick = exportJson;
  applyLanguage();
  showTab(state.tab);
  resetSampler();
  refreshNext();
  if (state.score) score();
  document.body.dataset.ready = "1";
}
init().catch((e) => { document.body.textContent = "pluma: " + e.message; });
