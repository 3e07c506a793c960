// pluma inspector, shared pieces: state, the API, how pieces are shown, the URL, language and tabs.
// The page is plain scripts sharing one global scope, loaded in order by index.html (no build step).
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
