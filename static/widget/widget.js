/* MergeInbox web chat widget. Embed with:
 *   <script src="https://YOUR_HOST/widget.js" data-channel="CHANNEL_ID" async></script>
 * Plain JavaScript, no dependencies. The visitor's session token is kept in localStorage,
 * so the chat survives a page reload. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-channel][src*='widget.js']");
  if (!script || window.__mergeInboxWidget) return;
  window.__mergeInboxWidget = true;
  var channel = script.getAttribute("data-channel");
  var base = new URL(script.src, location.href).origin + "/webchat/" + channel;
  var storeKey = "mergeinbox:" + channel;
  // The widget speaks the page's language (data-lang, else <html lang>), else the visitor's browser's.
  var lang = script.getAttribute("data-lang") || document.documentElement.lang || "";
  var query = "?lang=" + encodeURIComponent(lang);
  // English until /config answers with the strings in the visitor's language.
  var T = {
    open: "Chat with us", chat: "Chat", close: "Close the chat", intro: "Before we start, tell us how to reach you.",
    name: "Your name", email: "E-mail", phone: "Phone (WhatsApp)", start: "Start chat",
    required: "This field is required.", invalid: "Please check this value.", placeholder: "Write a message\u2026",
    message: "Message", send: "Send", you: "You", agent: "Agent", failed: "Your message could not be sent. Please try again."
  };
  var config = null;
  var state = { token: null, lastId: 0, timer: null, seen: {} };
  try { state.token = localStorage.getItem(storeKey); } catch (e) { /* storage blocked */ }

  var host = document.createElement("div");
  host.id = "mergeinbox-widget";
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  // The styles go in as a constructed stylesheet, not a <style> element: a host page whose
  // Content-Security-Policy refuses inline styles still shows the widget (docs/security.md).
  var css =
    ":host{all:initial}*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',sans-serif}" +
    ".bubble{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;background:#2f6fed;color:#fff;font-size:26px;cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.25);z-index:2147483000}" +
    ".panel{position:fixed;right:20px;bottom:88px;width:340px;max-width:calc(100vw - 40px);height:460px;max-height:calc(100vh - 120px);background:#fff;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden;z-index:2147483000}" +
    ".panel[hidden]{display:none}.head{background:#2f6fed;color:#fff;padding:12px 14px;font-weight:600}" +
    ".body{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:6px;background:#f7f8fb}" +
    ".msg{max-width:80%;padding:7px 10px;border-radius:12px;font-size:14px;line-height:1.35;white-space:pre-wrap;overflow-wrap:anywhere}" +
    ".visitor{align-self:flex-end;background:#2f6fed;color:#fff}.agent{align-self:flex-start;background:#fff;border:1px solid #e3e6ec;color:#1d2330}.pending{opacity:.75}" +
    "form{display:grid;gap:8px;padding:12px}label{display:grid;gap:3px;font-size:13px;color:#555}" +
    "input,textarea{font:inherit;font-size:14px;border:1px solid #cfd5e1;border-radius:8px;padding:8px}" +
    "button.send{background:#2f6fed;color:#fff;border:0;border-radius:8px;padding:8px 12px;font-size:14px;cursor:pointer}" +
    ".composer{display:flex;gap:6px;padding:8px;border-top:1px solid #e3e6ec}.composer input{flex:1}" +
    ".error{color:#c8372d;font-size:12px}";
  if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } else {
    var style = document.createElement("style");
    style.textContent = css;
    root.appendChild(style);
  }
  root.innerHTML +=
    "<button class='bubble' type='button' aria-expanded='false'>\u2709</button>" +
    "<section class='panel' role='dialog' hidden><div class='head'></div><div class='content'></div></section>";
  document.body.appendChild(host);

  var bubble = root.querySelector(".bubble");
  var panel = root.querySelector(".panel");
  var content = root.querySelector(".content");
  content.style.cssText = "flex:1;display:flex;flex-direction:column;min-height:0";

  function api(path, options) {
    options = options || {};
    var headers = { "Content-Type": "application/json" };
    if (state.token) headers.Authorization = "Bearer " + state.token;
    return fetch(base + path, { method: options.method || "GET", headers: headers, body: options.body ? JSON.stringify(options.body) : undefined })
      .then(function (response) { return response.json().then(function (data) { return { ok: response.ok, status: response.status, data: data }; }); });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text) node.textContent = text;
    return node;
  }

  function applyLanguage() {
    bubble.setAttribute("aria-label", T.open);
    panel.setAttribute("aria-label", T.chat);
    if (config && config.language) host.setAttribute("lang", config.language);
  }
  applyLanguage();

  function loadConfig() {
    return api("/config" + query).then(function (result) {
      if (result.ok) {
        config = result.data;
        Object.keys(config.strings || {}).forEach(function (key) { T[key] = config.strings[key]; });
        applyLanguage();
      }
      return result;
    });
  }
  loadConfig();

  var TYPES = { name: "text", email: "email", phone: "tel" };

  function showPrechat(config) {
    content.innerHTML = "";
    var form = el("form", { novalidate: "" });
    form.appendChild(el("p", { style: "margin:0;font-size:14px" }, T.intro));
    config.prechat.fields.forEach(function (field) {
      var required = config.prechat.required.indexOf(field) >= 0;
      var label = el("label", {}, T[field] + (required ? " *" : ""));
      var input = el("input", { name: field, type: TYPES[field], autocomplete: field === "phone" ? "tel" : field });
      if (required) input.required = true;
      label.appendChild(input);
      label.appendChild(el("span", { class: "error", "data-for": field }));
      form.appendChild(label);
    });
    form.appendChild(el("button", { class: "send", type: "submit" }, T.start));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var valid = true;
      Array.prototype.forEach.call(form.querySelectorAll("input"), function (input) {
        var message = input.checkValidity() ? "" : (input.validity.valueMissing ? T.required : T.invalid);
        form.querySelector("[data-for=" + input.name + "]").textContent = message;
        if (message) valid = false;
      });
      if (!valid) return;
      var body = {};
      Array.prototype.forEach.call(form.querySelectorAll("input"), function (input) { body[input.name] = input.value; });
      api("/sessions" + query, { method: "POST", body: body }).then(function (result) {
        if (!result.ok) {
          var errors = (result.data && result.data.errors) || {};
          Object.keys(errors).forEach(function (field) {
            var slot = form.querySelector("[data-for=" + field + "]");
            if (slot) slot.textContent = errors[field];
          });
          return;
        }
        startChat(result.data.token);
      });
    });
    content.appendChild(form);
    var first = form.querySelector("input");
    if (first) first.focus();
  }

  function startChat(token) {
    state.token = token;
    try { localStorage.setItem(storeKey, token); } catch (e) { /* storage blocked */ }
    showChat();
  }

  function showChat() {
    content.innerHTML = "";
    var body = el("div", { class: "body", "aria-live": "polite" });
    var form = el("form", { class: "composer" });
    var input = el("input", { name: "text", placeholder: T.placeholder, "aria-label": T.message, autocomplete: "off" });
    form.appendChild(input);
    form.appendChild(el("button", { class: "send", type: "submit" }, T.send));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      var clientId = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
      api("/messages", { method: "POST", body: { text: text, client_id: clientId } }).then(function (result) {
        if (result.status === 401) return resetSession();
        if (!result.ok) {
          input.value = text;
          body.appendChild(el("div", { class: "error", role: "alert" }, T.failed));
          return;
        }
        // Accepted: the inbound workers store it in a moment. The visitor sees it now; the poll
        // that returns the stored message (same client_id) confirms this bubble, never repeats it.
        var bubble = el("div", { class: "msg visitor pending" }, text);
        state.pending[clientId] = bubble;
        body.appendChild(bubble);
        body.scrollTop = body.scrollHeight;
        setTimeout(poll, 700);
      });
    });
    content.appendChild(body);
    content.appendChild(form);
    state.lastId = 0;
    state.seen = {};
    state.pending = {};
    poll();
    clearInterval(state.timer);
    state.timer = setInterval(poll, 2000);
    input.focus();
  }

  function poll() {
    var body = content.querySelector(".body");
    if (!body || !state.token) return;
    api("/messages?after=" + state.lastId).then(function (result) {
      if (result.status === 401) return resetSession();
      var shownReply = 0;
      (result.data.messages || []).forEach(function (message) {
        state.lastId = Math.max(state.lastId, message.id);
        if (state.seen[message.id]) return;
        state.seen[message.id] = true;
        var mine = message.client_id && state.pending[message.client_id];
        if (mine) {
          mine.className = "msg visitor";
          delete state.pending[message.client_id];
          return;
        }
        var bubble = el("div", { class: "msg " + message.from }, message.text);
        (message.files || []).forEach(function (file) {
          var link = el("a", { href: file.url, download: file.name, target: "_blank", rel: "noopener" }, "📄 " + file.name);
          bubble.appendChild(el("div", { class: "file" })).appendChild(link);
        });
        body.appendChild(bubble);
        if (message.from === "agent") shownReply = Math.max(shownReply, message.id);
      });
      body.scrollTop = body.scrollHeight;
      if (shownReply) api("/seen", { method: "POST", body: { up_to: shownReply } });
    });
  }

  function resetSession() {
    state.token = null;
    try { localStorage.removeItem(storeKey); } catch (e) { /* storage blocked */ }
    open();
  }

  function open() {
    loadConfig().then(function (result) {
      root.querySelector(".head").textContent = result.data.name || T.chat;
      if (state.token) showChat();
      else if (result.data.prechat && result.data.prechat.enabled) showPrechat(result.data);
      else api("/sessions" + query, { method: "POST", body: {} }).then(function (r) { startChat(r.data.token); });
    });
  }

  bubble.addEventListener("click", function () {
    var opening = panel.hidden;
    panel.hidden = !opening;
    bubble.setAttribute("aria-expanded", String(opening));
    if (opening) open(); else clearInterval(state.timer);
  });
})();
