// Scoring a text: tokens coloured by surprisal; the model card; Export JSON.
"use strict";

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
