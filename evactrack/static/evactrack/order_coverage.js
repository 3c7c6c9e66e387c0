// Shows what an order's targets cover while staff choose them, before saving.
// Reads every target row (area, scope) of the inline, asks the admin's coverage endpoint, and
// writes one sentence. An unknown figure is written as unknown, never as zero.
"use strict";
(function () {
  function targets() {
    const rows = document.querySelectorAll("[id^='targets-']:not([id$='-empty'])");
    const found = [];
    rows.forEach(function (row) {
      const area = row.querySelector("select[name$='-area']");
      const scope = row.querySelector("select[name$='-scope']");
      const deleted = row.querySelector("input[name$='-DELETE']");
      if (area && area.value && !(deleted && deleted.checked)) {
        found.push(area.value + ":" + (scope ? scope.value : "subtree"));
      }
    });
    return found;
  }

  function describe(data, labels) {
    function figure(value, missing) {
      const text = value === null ? labels.unknown : value.toLocaleString();
      return missing ? text + " (" + missing + " " + labels.missing + ")" : text;
    }
    return data.settlements + " " + labels.settlements + " · " +
      figure(data.people, data.people_missing) + " " + labels.people + " · " +
      figure(data.children, data.children_missing) + " " + labels.children;
  }

  function refresh() {
    const panel = document.getElementById("order-coverage");
    const text = document.getElementById("order-coverage-text");
    if (!panel || !text) { return; }
    const chosen = targets();
    if (!chosen.length) { return; }
    const labels = document.getElementById("order-coverage-labels").dataset;
    const query = chosen.map(function (t) { return "target=" + encodeURIComponent(t); }).join("&");
    fetch(panel.dataset.url + "?" + query, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) { text.textContent = describe(data, labels); text.dataset.settlements = data.settlements; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Select2 (the admin's autocomplete) reports its changes through jQuery, not native events.
    if (window.django && window.django.jQuery) {
      window.django.jQuery(document).on("change", "select[name^='targets-']", refresh);
    }
    document.addEventListener("change", function (event) {
      if (event.target.name && event.target.name.indexOf("targets-") === 0) { refresh(); }
    });
    refresh();
  });
})();
