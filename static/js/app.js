// Small helpers: live updates by polling (works across any number of server processes),
// dialogs opened by htmx, and the "Merge" button that appears when two contacts are ticked.
(function () {
  "use strict";
  let cursor = null;

  function poll() {
    const url = document.body.dataset.updatesUrl;
    if (!url || document.hidden) return;
    if (cursor === null) cursor = document.body.dataset.updatesCursor || "";
    fetch(url + "?cursor=" + encodeURIComponent(cursor), { credentials: "same-origin" })
      .then(function (response) {
        const changed = response.status === 200;
        cursor = response.headers.get("X-Updates-Cursor") || cursor;
        if (changed) document.body.dispatchEvent(new CustomEvent("inbox-changed", { bubbles: true }));
      })
      .catch(function () {});
  }
  setInterval(poll, 1500);

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id === "dialog-body") {
      const dialog = document.getElementById("dialog");
      if (!dialog.open) dialog.showModal();
      const first = dialog.querySelector("[autofocus], input, select, button");
      if (first) first.focus();
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.matches("[data-close-dialog]")) document.getElementById("dialog").close();
  });
  document.body && document.body.addEventListener("close-dialog", function () {
    document.getElementById("dialog").close();
  });

  // The first contact ticked is the one the second merges into.
  let pickOrder = [];
  function updateMergeButton() {
    const checked = Array.from(document.querySelectorAll("input[name=pick]:checked")).map(function (box) { return box.value; });
    pickOrder = pickOrder.filter(function (value) { return checked.includes(value); });
    checked.forEach(function (value) { if (!pickOrder.includes(value)) pickOrder.push(value); });
    const ticked = pickOrder.map(function (value) { return { value: value }; });
    const button = document.getElementById("merge-picked");
    if (!button) return;
    button.hidden = ticked.length !== 2;
    if (ticked.length === 2) {
      button.setAttribute("hx-get", button.dataset.url + "?target=" + ticked[0].value + "&source=" + ticked[1].value);
      if (window.htmx) htmx.process(button);
    }
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "pick") updateMergeButton();
  });
  document.addEventListener("htmx:afterSettle", updateMergeButton);

  document.addEventListener("htmx:afterSettle", function () {
    const timeline = document.getElementById("timeline");
    if (timeline && !timeline.dataset.scrolled) {
      timeline.scrollTop = timeline.scrollHeight;
      timeline.dataset.scrolled = "1";
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    const timeline = document.getElementById("timeline");
    if (timeline) timeline.scrollTop = timeline.scrollHeight;
  });
})();
