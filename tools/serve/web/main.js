// Wiring: inputs to state, buttons to actions, then the first render.
"use strict";

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
