import Router from "@koa/router";
import { createHash } from "node:crypto";
import { RESET_PAGE_PATH } from "../mail/password-reset-mail.js";

const STYLE = `
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2026; }
main { max-width: 26rem; margin: 4rem auto; padding: 2rem; background: #fff; border-radius: 8px; box-shadow: 0 1px 3px #0003; }
h1 { font-size: 1.4rem; margin: 0 0 1.5rem; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
input { box-sizing: border-box; width: 100%; padding: .5rem; font: inherit; border: 1px solid #767b85; border-radius: 4px; }
input[aria-invalid="true"] { border-color: #b3261e; }
.field { margin-bottom: 1.25rem; }
.errors { color: #b3261e; margin: .25rem 0 0; padding-left: 1.2rem; }
.errors:empty { display: none; }
button { font: inherit; padding: .6rem 1.2rem; border: 0; border-radius: 4px; background: #1f5fbf; color: #fff; cursor: pointer; }
button:disabled { opacity: .6; }
:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
#done { font-weight: 600; color: #17692d; }
`;

/** Posts the form to the confirm endpoint as JSON and shows its answer; the uid and token come from the page's own path. */
const SCRIPT = `
"use strict";
(function () {
  var parts = location.pathname.slice(${JSON.stringify(RESET_PAGE_PATH)}.length).split("/");
  var form = document.getElementById("reset");
  var done = document.getElementById("done");
  var button = form.querySelector("button");
  var fields = ["new_password1", "new_password2"];
  var LINK = "This reset link is invalid or has already been used. Ask for a new one.";
  function show(id, messages) {
    var list = document.getElementById(id + "-errors");
    list.textContent = "";
    messages.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    var input = document.getElementById(id);
    if (input) input.setAttribute("aria-invalid", messages.length ? "true" : "false");
  }
  function texts(value) {
    if (Array.isArray(value)) return value.map(String);
    if (value && typeof value === "object") return Object.keys(value).reduce(function (all, key) { return all.concat(texts(value[key])); }, []);
    return value === undefined ? [] : [String(value)];
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    var body = { uid: parts[0] || "", token: parts[1] || "" };
    fields.forEach(function (name) { body[name] = form.elements[name].value; });
    fetch(${JSON.stringify(RESET_PAGE_PATH)}, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      referrerPolicy: "no-referrer",
    }).then(function (response) {
      return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
    }).then(function (result) {
      var answer = result.answer || {};
      if (result.ok) {
        form.hidden = true;
        done.textContent = answer.detail;
        done.hidden = false;
        done.focus();
        return;
      }
      fields.forEach(function (name) { show(name, texts(answer[name])); });
      var general = texts(answer.non_field_errors).concat(texts(answer.detail));
      if (answer.uid || answer.token) general.unshift(LINK);
      show("form", general);
      var first = fields.filter(function (name) { return answer[name]; })[0];
      document.getElementById(first || "new_password1").focus();
    }).catch(function () {
      show("form", ["The server could not be reached. Try again."]);
    }).then(function () { button.disabled = false; });
  });
})();
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Choose a new password</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Choose a new password</h1>
<form id="reset" novalidate>
<div class="field">
<label for="new_password1">New password</label>
<input id="new_password1" name="new_password1" type="password" autocomplete="new-password" required aria-describedby="new_password1-errors">
<ul id="new_password1-errors" class="errors" aria-live="polite"></ul>
</div>
<div class="field">
<label for="new_password2">New password again</label>
<input id="new_password2" name="new_password2" type="password" autocomplete="new-password" required aria-describedby="new_password2-errors">
<ul id="new_password2-errors" class="errors" aria-live="polite"></ul>
</div>
<ul id="form-errors" class="errors" role="alert"></ul>
<button type="submit">Set the new password</button>
</form>
<p id="done" role="status" tabindex="-1" hidden></p>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

const hash = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

/**
 * Only this page's own script and style run, it talks only to this server,
 * is never framed, and sends no Referer (its path holds the token).
 */
export const RESET_PAGE_HEADERS = {
  "Content-Security-Policy": `default-src 'none'; script-src ${hash(SCRIPT)}; style-src ${hash(STYLE)}; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'`,
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
} as const;

const PAGE_PATH = new RegExp(`^${RESET_PAGE_PATH}[^/]+/[^/]+/$`);

/** Whether `path` is a reset link's page (`…/confirm/{uid}/{token}/`). */
export const isResetPagePath = (path: string): boolean => PAGE_PATH.test(path);

/** The page a reset mail links to, at Django's `password_reset_confirm` path: `…/confirm/{uid}/{token}/`. */
export function resetPageRouter(): Router {
  const router = new Router({ strict: true, sensitive: true });
  router.get(`${RESET_PAGE_PATH}:uid/:token/`, (ctx) => {
    ctx.set(RESET_PAGE_HEADERS);
    ctx.type = "text/html; charset=utf-8";
    ctx.body = PAGE;
  });
  return router;
}
