/**
 * The Mini App login form: one small HTML page, no framework and no third-party script (a page that takes a 2FA
 * password loads nothing it does not ship). Its script and style are inline and allowed by their SHA-256 in the
 * Content-Security-Policy, so nothing else can run on it; it talks only to its own origin.
 *
 * Telegram opens it with `#tgWebAppData=<initData>&tgWebAppThemeParams=…` in the URL fragment (the fragment never
 * reaches a server or a log). The page sends that initData with every call; the server checks its signature. The
 * page knows nothing by itself: `POST login/state` says which step is waiting and gives the texts in the admin's
 * language, `POST login/code` and `POST login/password` send the secret in the body, and on success the page asks
 * Telegram to close it (`web_app_close`, the same bridge Telegram's own telegram-web-app.js uses).
 */
import { pageCsp } from "./http";

const STYLE = `
:root{color-scheme:light dark;--bg:var(--tg-bg,#fff);--fg:var(--tg-fg,#111);--hint:var(--tg-hint,#777);
--btn:var(--tg-btn,#2481cc);--btn-fg:var(--tg-btn-fg,#fff);--err:#d33;--ok:#2a9d4b}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:420px;margin:0 auto;padding:24px 20px}
h1{font-size:20px;margin:0 0 4px}
#who{color:var(--hint);margin:0 0 20px}
label{display:block;font-weight:600;margin-bottom:8px}
input{width:100%;font-size:24px;padding:12px 14px;border:2px solid var(--hint);border-radius:10px;background:transparent;color:var(--fg);letter-spacing:.12em}
input:focus{outline:none;border-color:var(--btn)}
button{width:100%;margin-top:16px;padding:14px;font-size:17px;font-weight:600;border:0;border-radius:10px;background:var(--btn);color:var(--btn-fg)}
button:disabled{opacity:.55}
#status{min-height:1.5em;margin-top:18px;white-space:pre-line}
#status.error{color:var(--err)}#status.ok{color:var(--ok)}
[hidden]{display:none!important}
`;

const SCRIPT = `
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var fragment = new URLSearchParams(location.hash.slice(1));
  var initData = fragment.get("tgWebAppData") || "";
  try {
    var theme = JSON.parse(fragment.get("tgWebAppThemeParams") || "{}");
    var vars = { bg_color: "--tg-bg", text_color: "--tg-fg", hint_color: "--tg-hint", button_color: "--tg-btn", button_text_color: "--tg-btn-fg" };
    Object.keys(vars).forEach(function (k) {
      if (/^#[0-9a-fA-F]{3,8}$/.test(theme[k] || "")) document.documentElement.style.setProperty(vars[k], theme[k]);
    });
  } catch (e) { /* no theme: the defaults */ }

  function postEvent(type, data) {
    var payload = JSON.stringify({ eventType: type, eventData: data || {} });
    try {
      if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent(type, JSON.stringify(data || {}));
      else if (window.external && "notify" in window.external) window.external.notify(payload);
      else if (window.parent !== window) window.parent.postMessage(payload, "*");
    } catch (e) { /* outside Telegram: nothing to tell */ }
  }

  var step = null;
  var texts = {};
  function status(text, kind) {
    var s = $("status");
    s.textContent = text || "";
    s.className = kind || "";
  }
  function call(path, body) {
    body.initData = initData;
    return fetch(new URL("login/" + path, location.href), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) {
        // Not our answer (API Gateway's throttling, a timeout): the same step, to be tried again.
        if (!r.ok && !b.error) return { failed: true, message: texts.retry || "HTTP " + r.status };
        return b;
      });
    });
  }
  function render(answer) {
    if (answer.texts) texts = answer.texts;
    if (texts.title) { $("title").textContent = texts.title; document.title = texts.title; }
    if (answer.who) $("who").textContent = answer.who;
    if (answer.step || answer.done) step = answer.step || null;
    var input = $("secret");
    if (!answer.step && !answer.done) {
      // A passing failure: the form stays as it was, ready for another try.
      $("submit").disabled = false;
    } else if (step === "code" || step === "password") {
      $("form").hidden = false;
      $("label").textContent = answer.label || "";
      input.type = step === "password" ? "password" : "text";
      input.inputMode = step === "password" ? "text" : "numeric";
      input.autocomplete = step === "password" ? "current-password" : "one-time-code";
      input.maxLength = step === "password" ? 256 : (answer.codeLength || 10);
      input.value = "";
      $("submit").textContent = texts.submit || "OK";
      $("submit").disabled = false;
      input.focus();
    } else {
      $("form").hidden = true;
    }
    if (answer.message) status(answer.message, answer.success ? "ok" : answer.error || answer.failed ? "error" : "");
    if (answer.done) {
      $("close").hidden = false;
      $("close").textContent = texts.close || "×";
    }
    if (answer.success) setTimeout(function () { postEvent("web_app_close"); }, 1500);
  }
  $("form").addEventListener("submit", function (e) {
    e.preventDefault();
    var input = $("secret");
    var value = input.value;
    if (!value || !step) return;
    $("submit").disabled = true;
    status(texts.checking || "…", "");
    var body = step === "code" ? { code: value } : { password: value };
    input.value = "";
    call(step, body).then(render, function () {
      $("submit").disabled = false;
      status(texts.network || "Network error", "error");
    });
  });
  $("close").addEventListener("click", function () { postEvent("web_app_close"); });
  postEvent("web_app_ready");
  postEvent("web_app_expand");
  if (!initData) {
    render({ done: true, error: true, message: "Open this form from the bot's button in Telegram." });
    return;
  }
  call("state", {}).then(function (answer) {
    // Nothing to retry on this page yet: say why, and offer to close it (the bot's button opens it again).
    if (!answer.step) answer.done = true;
    render(answer);
  }, function () { render({ done: true, error: true, message: "Network error" }); });
})();
`;

export const LOGIN_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Session Keeper</title>
<style>${STYLE}</style>
</head><body><main>
<h1 id="title">Session Keeper</h1>
<p id="who"></p>
<form id="form" hidden autocomplete="off">
<label id="label" for="secret"></label>
<input id="secret" name="secret" required spellcheck="false" autocapitalize="off">
<button id="submit" type="submit">OK</button>
</form>
<p id="status" role="status" aria-live="polite"></p>
<button id="close" type="button" hidden></button>
</main>
<script>${SCRIPT}</script>
</body></html>
`;

/** Everything the page may load or run: its own inline script and style, and calls to its own origin. */
export const LOGIN_PAGE_CSP = pageCsp(SCRIPT, STYLE);
