// Small helpers: live updates by polling (works across any number of server processes),
// dialogs opened by htmx, and the "Merge" button that appears when two contacts are ticked.
(function () {
  "use strict";
  let since = new Date().toISOString();

  function poll() {
    const url = document.body.dataset.updatesUrl;
    if (!url || document.hidden) return;
    const checkedAt = new Date().toISOString();
    fetch(url + "?since=" + encodeURIComponent(since), { credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 200) {
          since = checkedAt;
          document.body.dispatchEvent(new CustomEvent("inbox-changed", { bubbles: true }));
        } else if (response.status === 204) {
          since = checkedAt;
        }
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

  function updateMergeButton() {
    const ticked = Array.from(document.querySelectorAll("input[name=pick]:checked"));
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
