"""pluma serve in a real browser (headless Chromium driven by Selenium): type a prompt and find the table of
`pluma probs --json`; expand a row into its continuations; step the sampler and find `pluma generate`'s tokens;
run a generation; score a text; switch the language; reload from the URL. Saves a screenshot of each view.

usage: browser.py PLUMA_BINARY SOURCE_DIR SCREENSHOT_DIR"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

PLUMA, SRC, SHOTS = sys.argv[1], sys.argv[2], sys.argv[3]
WORK = tempfile.mkdtemp(prefix="pluma_browser_")
GPT, LSTM = os.path.join(WORK, "gpt.pluma"), os.path.join(WORK, "lstm.pluma")
os.makedirs(SHOTS, exist_ok=True)
failures = []


def check(what, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else "  " + str(detail)))
    if not ok:
        failures.append(what)


def cli(*args):
    return subprocess.run([PLUMA, *args, "--threads", "1"], check=True, capture_output=True, text=True).stdout


def piece_display(p):  # tools: generate/inspect.cpp piece_display
    out = ""
    for ch in p:
        c = ord(ch)
        out += {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\", " ": "\u2423"}.get(
            ch, "\\x%02x" % c if c < 0x20 or c == 0x7F else ch)
    return out


def wait_for(fn, timeout=30, what="condition"):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            last = fn()
            if last:
                return last
        except Exception as e:  # an element replaced while reading it: try again
            last = e
        time.sleep(0.1)
    raise TimeoutError(f"timed out waiting for {what} (last: {last!r})")


# two tiny models, trained here on the Shakespeare text (as the other end-to-end tests do)
env = dict(os.environ, PLUMA_DATA=os.path.join(SRC, "..", "shared", "data"))
subprocess.run([PLUMA, "train", "--layers", "2", "--heads", "2", "--embd", "32", "--context", "16", "--batch", "4",
                "--iters", "30", "--eval-interval", "100", "--eval-iters", "1", "--threads", "1", "--out", GPT],
               check=True, capture_output=True, env=env)
subprocess.run([PLUMA, "train", "--model", "lstm", "--layers", "1", "--hidden", "32", "--seq-len", "16", "--batch", "4",
                "--iters", "30", "--eval-interval", "100", "--eval-iters", "1", "--threads", "1", "--out", LSTM],
               check=True, capture_output=True, env=env)
server = subprocess.Popen([PLUMA, "serve", "--checkpoint", GPT, "--checkpoint", LSTM, "--port", "0", "--threads", "1"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
line = server.stdout.readline()
m = re.search(r"http://127\.0\.0\.1:\d+/", line)
if not m:
    print("FAIL server did not start: " + line + server.stderr.read())
    sys.exit(1)
URL = m.group(0)
profile = tempfile.mkdtemp(prefix="pluma_chromium_")
opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-dev-shm-usage", "--window-size=1280,1000", "--user-data-dir=" + profile]:
    opts.add_argument(a)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
try:
    q = lambda sel: driver.find_element(By.CSS_SELECTOR, sel)
    qa = lambda sel: driver.find_elements(By.CSS_SELECTOR, sel)
    shot = lambda name: driver.save_screenshot(os.path.join(SHOTS, name))

    driver.get(URL + "?lang=en")
    wait_for(lambda: q("body").get_attribute("data-ready") == "1", what="the page to load")
    check("the page loads in English", q("#tab-next").text == "Next token", q("#tab-next").text)

    # ---- next-token table, live as you type
    prompt = "ROMEO:\nWhat"
    want = json.loads(cli("probs", "--checkpoint", GPT, "--prompt", "ROMEO:\\nWhat", "--top", "10", "--depth", "2", "--json"))
    want_rows = [(piece_display(t["token"]), "%.4f" % t["prob"]) for t in want["tokens"]]
    box = q("#prompt")
    box.click()
    box.send_keys(prompt)

    def table():
        rows = qa("#next-table tbody tr")
        return [(r.find_element(By.CSS_SELECTOR, "td.tok").text, r.find_element(By.CSS_SELECTOR, "td.prob").text) for r in rows]

    try:
        wait_for(lambda: table() == want_rows, what="the table to show pluma probs' tokens")
        check("typing a prompt shows the top tokens and probabilities of pluma probs --json", True)
    except TimeoutError as e:
        check("typing a prompt shows the top tokens and probabilities of pluma probs --json", False, f"{table()} != {want_rows}")
    pieces = [s.text for s in qa("#prompt-pieces span")]
    check("the prompt's pieces are shown as the tokenizer cuts them", pieces[:7] == ["R", "O", "M", "E", "O", ":", "\\n"], pieces)
    # expand the first row: its continuations are the CLI's depth-2 children
    qa("#next-table tbody tr")[0].find_element(By.CSS_SELECTOR, "button.expand").click()
    wait_for(lambda: len(qa("#next-table tbody tr")) == 20, what="the children rows")
    rows = qa("#next-table tbody tr")
    kids = [(r.find_element(By.CSS_SELECTOR, "td.tok").text, r.find_element(By.CSS_SELECTOR, "td.prob").text) for r in rows[1:11]]
    want_kids = [(piece_display(c["token"]), "%.4f" % c["prob"]) for c in want["tokens"][0]["children"]]
    check("expanding a token shows its continuations (pluma probs --depth 2)", kids == want_kids, f"{kids} != {want_kids}")
    path = rows[1].find_element(By.CSS_SELECTOR, "td.path").text
    check("a path's probability is the product", path == "%.4f" % (want["tokens"][0]["prob"] * want["tokens"][0]["children"][0]["prob"]), path)
    shot("next.png")
    exported = driver.execute_script("return plumaExportData()")
    check("Export JSON holds the table's answer", exported["view"] == "next" and
          [(piece_display(t["token"]), "%.4f" % t["prob"]) for t in exported["answer"]["tokens"]] == want_rows)
    # click a token: it is appended to the prompt
    rows[0].find_element(By.CSS_SELECTOR, "td.tok a").click()
    first = want["tokens"][0]["token"]
    check("clicking a token appends it to the prompt", q("#prompt").get_attribute("value") == prompt + first)
    box.send_keys("\b")  # back to the prompt
    wait_for(lambda: q("#prompt").get_attribute("value") == prompt, what="the prompt")

    # ---- the sampler, stage by stage
    q("#tab-sampler").click()
    for field, value in [("temperature", "0.9"), ("top_k", "8"), ("seed", "21")]:
        el = q("#" + field)
        el.clear()
        el.send_keys(value)
    gen2 = cli("generate", "--checkpoint", GPT, "--prompt", "ROMEO:\\nWhat", "--seed", "21", "--temperature", "0.9",
               "--top-k", "8", "--max-new-tokens", "2", "--ignore-eos")
    q("#step").click()
    wait_for(lambda: q("#chosen").get_attribute("data-id"), what="the first step")
    heads = qa("#stage-table thead th")
    check("the stage table has the seven stages", len(heads) == 8, len(heads))
    check("top-k is marked as applied", "top_k(8)" in heads[4].text, heads[4].text)
    check("stages that are off say so", "off" in heads[2].text or "off" in heads[5].text, heads[5].text)
    first_id = q("#chosen").get_attribute("data-id")
    q("#step").click()
    wait_for(lambda: q("#chosen").get_attribute("data-id") != first_id or len(q("#sampler-output .generated").text) >= 2,
             what="the second step")
    wait_for(lambda: len(qa("#sampler-output .generated span")) == 2, what="two steps")
    out = q("#sampler-output").text
    check("two steps give pluma generate's two tokens (same seed and options)", out + "\n" == gen2, f"{out!r} vs {gen2!r}")
    check("the chosen row is highlighted", len(qa("#stage-table tr.chosen")) == 1)
    shot("sampler.png")

    # ---- run: a stream whose text is pluma generate's
    el = q("#max_new_tokens")
    el.clear()
    el.send_keys("60")
    gen60 = cli("generate", "--checkpoint", GPT, "--prompt", "ROMEO:\\nWhat", "--seed", "21", "--temperature", "0.9",
                "--top-k", "8", "--max-new-tokens", "60")
    q("#run").click()
    wait_for(lambda: "tokens/s" in q("#sampler-status").text, what="the run to finish")
    out = q("#sampler-output").text
    check("run streams pluma generate's text", out + "\n" == gen60, f"{out!r} vs {gen60!r}")
    shot("sampler_run.png")

    # ---- the language switch
    q("#lang-switch").click()
    check("the switch turns the page to Spanish", q("#tab-next").text == "Siguiente token" and q("#step").text == "Paso",
          q("#tab-next").text)
    check("the language is in the URL", "lang=es" in driver.current_url, driver.current_url)
    shot("sampler_es.png")

    # ---- score
    q("#tab-score").click()
    text = "First Citizen:\nBefore we proceed any further, hear me speak.\n"
    with open(os.path.join(profile, "text.txt"), "w") as f:
        f.write(text)
    want_score = json.loads(cli("score", "--checkpoint", GPT, "--input", os.path.join(profile, "text.txt"), "--json"))
    q("#score-text").send_keys(text)
    q("#score-go").click()
    wait_for(lambda: qa("#score-sum-loss"), what="the score")
    check("the score's loss is pluma score's", q("#score-sum-loss").text.endswith("%.4f" % want_score["loss"]), q("#score-sum-loss").text)
    spans = qa("#score-tokens span")
    check("the first token (not scored), then every scored token, coloured",
          len(spans) == want_score["num_tokens"] + 1 and spans[0].text == "F" and "background" in spans[1].get_attribute("style"), len(spans))
    check("the tokens spell the text", q("#score-tokens").get_attribute("textContent") == text, repr(q("#score-tokens").get_attribute("textContent")))
    check("hovering a token tells its rank", "rango" in spans[3].get_attribute("title"), spans[3].get_attribute("title"))
    shot("score.png")

    # ---- model card, and the state in the URL
    q("#tab-model").click()
    check("the model card shows the kind and the parameters", "GPT" in q("#card").text, q("#card").text)
    check("the model card sums up the training", "pasos: 30" in q("#card-summary").text, q("#card-summary").text)
    shot("model.png")
    url = driver.current_url
    driver.get(url)
    wait_for(lambda: q("body").get_attribute("data-ready") == "1", what="the reload")
    check("a link restores prompt, tab and language", q("#prompt").get_attribute("value") == prompt and
          not q("#view-model").get_attribute("hidden") and q("#tab-next").text == "Siguiente token")
    check("a link restores the sampler's options", q("#temperature").get_attribute("value") == "0.9" and
          q("#top_k").get_attribute("value") == "8" and q("#seed").get_attribute("value") == "21")
    q("#model").find_element(By.CSS_SELECTOR, "option[value=lstm]").click()
    wait_for(lambda: "LSTM" in q("#card").text, what="the LSTM card")
    check("choosing the other model shows its card", "LSTM" in q("#card").text)
finally:
    driver.quit()
    server.terminate()
    server.wait()
    shutil.rmtree(WORK, ignore_errors=True)
    shutil.rmtree(profile, ignore_errors=True)

print(f"screenshots in {SHOTS}")
sys.exit(1 if failures else 0)
