// Accessibility helpers: ARIA tabs with keyboard, focus returned after dialogs, and the page's one
// live region (#live-region) for short announcements.
(function () {
  "use strict";
  const chosenTab = {}; // tab set name -> the tab id last chosen, kept when htmx re-renders the set

  // ---- Tabs (WAI-ARIA "tabs with automatic activation") ----
  function tabsOf(set) { return Array.from(set.querySelectorAll("[role=tab]")); }

  function select(set, tab, moveFocus) {
    tabsOf(set).forEach(function (other) {
      const selected = other === tab;
      other.setAttribute("aria-selected", selected ? "true" : "false");
      other.tabIndex = selected ? 0 : -1;
      const panel = document.getElementById(other.getAttribute("aria-controls"));
      if (panel) panel.hidden = !selected;
    });
    chosenTab[set.dataset.tabs] = tab.id;
    if (moveFocus) tab.focus();
  }

  function initTabs(root) {
    root.querySelectorAll("[data-tabs]").forEach(function (set) {
      const tabs = tabsOf(set);
      if (!tabs.length) return;
      const fromHash = tabs.find(function (tab) { return "#" + tab.getAttribute("aria-controls").replace("panel-", "") === location.hash; });
      const remembered = document.getElementById(chosenTab[set.dataset.tabs] || "");
      const current = fromHash || (tabs.includes(remembered) ? remembered : null)
        || tabs.find(function (tab) { return tab.getAttribute("aria-selected") === "true"; }) || tabs[0];
      select(set, current, false);
    });
  }

  document.addEventListener("click", function (event) {
    const tab = event.target.closest("[data-tabs] [role=tab]");
    if (tab) select(tab.closest("[data-tabs]"), tab, true);
  });

  document.addEventListener("keydown", function (event) {
    const tab = event.target.closest && event.target.closest("[data-tabs] [role=tab]");
    if (!tab) return;
    const set = tab.closest("[data-tabs]");
    const tabs = tabsOf(set);
    const index = tabs.indexOf(tab);
    const next = {
      ArrowRight: tabs[(index + 1) % tabs.length],
      ArrowLeft: tabs[(index - 1 + tabs.length) % tabs.length],
      Home: tabs[0],
      End: tabs[tabs.length - 1],
    }[event.key];
    if (next) {
      event.preventDefault();
      select(set, next, true);
    }
  });

  // ---- Dialogs: focus goes back to what opened them ----
  let opener = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    const target = event.detail.target;
    if (target && target.id === "dialog-body" && !document.getElementById("dialog").open) {
      opener = event.detail.elt;
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    const dialog = document.getElementById("dialog");
    if (!dialog) return;
    dialog.addEventListener("close", function () {
      const back = opener && opener.isConnected && !opener.hidden ? opener : document.getElementById("main");
      opener = null;
      if (back) {
        if (back.id === "main") back.tabIndex = -1;
        back.focus();
      }
    });
  });

  // ---- The live region: flash messages, HX-Trigger {"announce": "..."}, [data-announce] ----
  function announce(text) {
    const region = document.getElementById("live-region");
    if (!region || !text) return;
    region.textContent = "";
    // A change after a pause is what screen readers reliably read out.
    setTimeout(function () { region.textContent = text; }, 100);
  }
  window.announce = announce;

  document.addEventListener("announce", function (event) {
    const detail = event.detail || {};
    announce(typeof detail === "string" ? detail : detail.value || detail.text);
  });

  document.addEventListener("htmx:load", function (event) {
    initTabs(event.detail.elt.parentNode || document);
    const marked = event.detail.elt.matches && event.detail.elt.matches("[data-announce]")
      ? event.detail.elt : event.detail.elt.querySelector && event.detail.elt.querySelector("[data-announce]");
    if (marked) announce(marked.dataset.announce);
  });

  document.addEventListener("DOMContentLoaded", function () {
    initTabs(document);
    const flash = Array.from(document.querySelectorAll(".flash li")).map(function (item) { return item.textContent.trim(); });
    if (flash.length) announce(flash.join(" "));
  });
})();
