// The next-token table, live as you type, and its lazily expanded tree of continuations.
"use strict";

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
