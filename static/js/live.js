// Live updates. The page opens a Server-Sent Events stream (body[data-stream-url], served by the
// ASGI server); each event names the ids that changed, already limited by the server to what this
// page's user may see. The page then fetches only the regions that changed, through the ordinary
// views: new timeline items are appended (older ones already loaded stay), a list row is
// re-rendered and moved to its place, counters and badges are re-read.
// When the stream cannot connect (SQLite demo, a buffering proxy), the page polls
// body[data-updates-url] instead, and resynchronises whenever the poll says something changed.
(function () {
  "use strict";
  const body = document.body;
  if (!body || !body.dataset.countsUrl) return; // anonymous pages

  function get(url) {
    return fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .catch(function () { return ""; });
  }
  function fragment(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    return template.content;
  }
  function sortKey(el) {
    return (el.dataset.sort || el.dataset.at || "0_0").split("_").map(Number);
  }
  function isNewer(a, b) { return a[0] !== b[0] ? a[0] > b[0] : a[1] > b[1]; }
  function activate(el) { if (window.htmx) window.htmx.process(el); }
  function withParam(url, name, value) { return url + (url.includes("?") ? "&" : "?") + name + "=" + value; }
  function timeline() { return document.getElementById("timeline"); }

  // ---- Counters and badges: every [data-live-count=name] ----
  let countsTimer = null;
  function refreshCounts() {
    if (!document.querySelector("[data-live-count]")) return;
    clearTimeout(countsTimer);
    countsTimer = setTimeout(function () {
      const badge = document.querySelector("[data-live-contact]");
      const url = badge ? withParam(body.dataset.countsUrl, "contact", badge.dataset.liveContact) : body.dataset.countsUrl;
      fetch(url, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          document.querySelectorAll("[data-live-count]").forEach(function (el) {
            const value = data[el.dataset.liveCount];
            if (value === undefined) return;
            if (el.textContent !== value) el.textContent = value;
            if (el.dataset.liveContact) el.hidden = value === "0";
          });
        })
        .catch(function () {});
    }, 250); // a burst of events costs one request
  }

  // ---- Conversation list rows: re-rendered and put where their sort key says ----
  function placeRow(list, row) {
    const old = document.getElementById(row.id);
    const open = timeline();
    if ((old && old.classList.contains("selected")) || (open && "row-" + open.dataset.conversation === row.id)) {
      row.classList.add("selected");
    }
    if (old) old.remove();
    const key = sortKey(row);
    const before = Array.from(list.querySelectorAll(":scope > li[id^=row-]")).find(function (other) {
      return isNewer(key, sortKey(other));
    });
    if (before) list.insertBefore(row, before);
    else if (list.querySelector(":scope > li.more")) return; // it belongs to a page not loaded yet
    else list.appendChild(row);
    const empty = list.querySelector(":scope > li.empty");
    if (empty) empty.remove();
    activate(row);
  }
  function refreshRows(ids) {
    const list = document.getElementById("conversation-list");
    if (!list || !ids.length) return Promise.resolve();
    return get(withParam(list.dataset.listUrl, "ids", ids.join(","))).then(function (html) {
      const rows = Array.from(fragment(html).querySelectorAll("li[id^=row-]"));
      ids.forEach(function (id) {
        const old = document.getElementById("row-" + id);
        if (old && !rows.some(function (row) { return row.id === old.id; })) old.remove(); // left this tab
      });
      rows.forEach(function (row) { placeRow(list, row); });
    });
  }
  function refreshFirstPage() {
    const list = document.getElementById("conversation-list");
    if (!list) return Promise.resolve();
    return get(list.dataset.listUrl).then(function (html) {
      fragment(html).querySelectorAll("li[id^=row-]").forEach(function (row) { placeRow(list, row); });
    });
  }

  // ---- The open timeline: append what is new, replace messages whose status changed ----
  function appendNewer() {
    const pane = timeline();
    if (!pane) return Promise.resolve();
    let newest = [0, 0];
    pane.querySelectorAll("[data-at]").forEach(function (item) {
      const key = sortKey(item);
      if (isNewer(key, newest)) newest = key;
    });
    // A little back in time: a write that committed late is not missed; items shown are skipped.
    const since = Math.max(0, newest[0] - 5000000) + "_0";
    return get(withParam(pane.dataset.newerUrl, "since", since)).then(function (html) {
      const stick = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 60;
      let added = false;
      Array.from(fragment(html).children).forEach(function (item) {
        if (!item.id || !item.dataset.at || document.getElementById(item.id)) return;
        const key = sortKey(item);
        const after = Array.from(pane.querySelectorAll(":scope > [data-at]")).find(function (other) {
          return isNewer(sortKey(other), key);
        });
        if (after) pane.insertBefore(item, after);
        else pane.appendChild(item);
        activate(item);
        added = true;
      });
      if (added && stick) pane.scrollTop = pane.scrollHeight;
    });
  }
  function refreshMessages(ids) {
    const pane = timeline();
    if (!pane) return;
    ids.forEach(function (id) {
      const old = document.getElementById("message-" + id);
      if (!old) return;
      get(pane.dataset.messageUrl.replace("/0/", "/" + id + "/")).then(function (html) {
        const item = fragment(html).querySelector("#message-" + id);
        const current = document.getElementById("message-" + id);
        if (item && current) { current.replaceWith(item); activate(item); }
      });
    });
  }

  // ---- Events ----
  function handle(data) {
    if (data.t === "resync") return resync();
    const pane = timeline();
    const shown = pane && (data.contacts || []).map(String).includes(pane.dataset.contact);
    const step = shown ? appendNewer().then(function () { refreshMessages(data.messages || []); }) : Promise.resolve();
    step.then(function () {
      refreshRows(data.conversations || []);
      refreshCounts();
      if (data.t === "suggestion" || data.t === "message") refreshSuggestionLists();
    });
  }
  // Regions that re-render themselves on "inbox-changed" (the dashboard's suggestions), at most
  // once a second however many events arrive.
  let suggestionsTimer = null;
  function refreshSuggestionLists() {
    if (suggestionsTimer) return;
    suggestionsTimer = setTimeout(function () {
      suggestionsTimer = null;
      body.dispatchEvent(new CustomEvent("inbox-changed", { bubbles: true }));
    }, 1000);
  }
  function resync() {
    appendNewer().then(function () { refreshFirstPage(); refreshCounts(); });
    refreshSuggestionLists();
  }
  window.liveUpdates = { handle: handle, resync: resync };

  // ---- Fallback: polling, only while the stream is not connected ----
  let cursor = null;
  let pollTimer = null;
  function poll() {
    if (document.hidden) return;
    if (cursor === null) cursor = body.dataset.updatesCursor || "";
    fetch(withParam(body.dataset.updatesUrl, "cursor", encodeURIComponent(cursor)), { credentials: "same-origin" })
      .then(function (response) {
        cursor = response.headers.get("X-Updates-Cursor") || cursor;
        if (response.status === 200) resync();
      })
      .catch(function () {});
  }
  function startPolling() { if (!pollTimer && body.dataset.updatesUrl) pollTimer = setInterval(poll, 1500); }
  function stopPolling() { clearInterval(pollTimer); pollTimer = null; }

  function connect() {
    const url = body.dataset.streamUrl;
    if (!url || !window.EventSource) return startPolling();
    const source = new EventSource(url, { withCredentials: true });
    let wasOpen = false;
    source.addEventListener("ready", function () {
      body.dataset.live = "stream";
      stopPolling();
      if (wasOpen) resync(); // reconnected: what happened meanwhile was not streamed
      wasOpen = true;
    });
    source.addEventListener("change", function (event) {
      try { handle(JSON.parse(event.data)); } catch (error) { /* a malformed event changes nothing */ }
    });
    source.addEventListener("error", function () {
      body.dataset.live = "poll";
      startPolling(); // while the stream reconnects, or for good when it cannot (e.g. 204)
    });
  }

  // The user's own actions change counters too (a dismiss, an assignment, opening a conversation).
  document.addEventListener("htmx:afterRequest", function (event) {
    const config = event.detail.requestConfig || {};
    const target = event.detail.target;
    if (config.verb === "post" || (target && target.id === "conversation-pane")) {
      refreshCounts();
      document.querySelectorAll("#conversation-list > li.selected").forEach(function (row) { row.classList.remove("selected"); });
      const pane = timeline();
      if (pane) refreshRows([pane.dataset.conversation]);
    }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", connect);
  else connect();
})();
