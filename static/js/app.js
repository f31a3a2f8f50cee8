// Small helpers (live updates are in live.js): dialogs opened by htmx, and the "Merge" button that appears when two contacts are ticked.
(function () {
  "use strict";

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

// The composer's file: a pasted image becomes the attached file, and a file the chosen channel
// cannot send (kind or size) is named before sending, with Send disabled.
(function () {
  "use strict";
  function kindOf(file) {
    const major = (file.type || "").split("/")[0];
    return ["image", "audio", "video"].includes(major) ? major : "document";
  }
  function check(form) {
    const input = form.querySelector("input[type=file]");
    const option = form.querySelector("select[name=identity]").selectedOptions[0];
    const warning = form.querySelector("#attach-warning");
    const send = form.querySelector("button[type=submit]");
    const file = input && input.files[0];
    let problem = "";
    if (file && option) {
      const kinds = (option.dataset.media || "").split(" ").filter(Boolean);
      const limit = parseInt(option.dataset.maxBytes || "0", 10);
      const fill = function (text) {
        return text.replace("{channel}", option.dataset.channel).replace("{kind}", kindOf(file))
          .replace("{size}", String(Math.floor(limit / 1048576)));
      };
      if (!kinds.includes(kindOf(file))) problem = fill(warning.dataset.kindRefused);
      else if (limit && file.size > limit) problem = fill(warning.dataset.tooLarge);
    }
    warning.textContent = problem;
    warning.hidden = !problem;
    send.disabled = Boolean(problem);
    // The page has one live region: the warning is announced there, not by a region of its own.
    if (problem && window.announce) window.announce(problem);
  }
  document.addEventListener("change", function (event) {
    const form = event.target.closest("form[data-composer]");
    if (form) check(form);
  });
  document.addEventListener("paste", function (event) {
    const form = event.target.closest && event.target.closest("form[data-composer]");
    if (!form || !event.clipboardData) return;
    const image = Array.from(event.clipboardData.files).find(function (f) { return f.type.startsWith("image/"); });
    if (!image) return;
    event.preventDefault();
    const transfer = new DataTransfer();
    const extension = image.type.split("/")[1] || "png";
    transfer.items.add(new File([image], image.name && image.name !== "image." + extension ? image.name : "pasted-image." + extension, { type: image.type }));
    form.querySelector("input[type=file]").files = transfer.files;
    check(form);
  });
})();
