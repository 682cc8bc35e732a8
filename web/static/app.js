// Progressive enhancement only: every form works without it.
(function () {
  "use strict";

  // fold lowers a string and drops its Vietnamese marks, so "van lang"
  // finds "Văn Lang".
  function fold(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
  }

  // The recipient picker: a filter over the units and a count of what is
  // chosen.
  document.querySelectorAll("[data-picker]").forEach(function (picker) {
    var filter = picker.querySelector("[data-unit-filter]");
    var label = picker.querySelector("[data-filter-label]");
    var units = Array.prototype.slice.call(picker.querySelectorAll("[data-unit]"));
    var sets = picker.querySelectorAll("[data-unit-set]");
    var none = picker.querySelector("[data-no-match]");
    var count = picker.querySelector("[data-picker-count]");
    units.forEach(function (u) { u.dataset.fold = fold(u.dataset.search || u.textContent); });
    if (filter) {
      filter.hidden = false;
      if (label) { label.hidden = false; }
      filter.addEventListener("input", function () {
        var words = fold(filter.value).split(/\s+/).filter(Boolean);
        var shown = 0;
        units.forEach(function (u) {
          var ok = words.every(function (w) { return u.dataset.fold.indexOf(w) >= 0; });
          u.hidden = !ok;
          if (ok) { shown++; }
        });
        sets.forEach(function (s) {
          s.hidden = !s.querySelector("[data-unit]:not([hidden])");
        });
        if (none) { none.hidden = shown > 0; }
      });
      // Enter in the filter must not send the form.
      filter.addEventListener("keydown", function (e) {
        if (e.key === "Enter") { e.preventDefault(); }
      });
    }
    function update() {
      var groups = picker.querySelectorAll("input[name=group]:checked");
      var chosen = picker.querySelectorAll("input[name=unit]:checked").length;
      var inGroups = 0;
      groups.forEach(function (g) { inGroups += parseInt(g.dataset.count || "0", 10); });
      if (!count) { return; }
      if (!groups.length && !chosen) {
        count.textContent = "Chưa chọn nơi nhận.";
        return;
      }
      var parts = [];
      if (groups.length) { parts.push(groups.length + " nhóm (" + inGroups.toLocaleString("vi-VN") + " đơn vị)"); }
      if (chosen) { parts.push(chosen + " đơn vị chọn riêng"); }
      count.textContent = "Đã chọn: " + parts.join(" và ") + ".";
    }
    picker.addEventListener("change", update);
    update();
  });

  // A form marked data-once cannot be sent twice by a double click; the
  // server's idempotency key covers what gets past this.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
  // Back from a confirmation page (restored from the browser's cache), the
  // form is usable again.
  window.addEventListener("pageshow", function (e) {
    if (!e.persisted) return;
    document.querySelectorAll("form[data-once] button[type=submit]").forEach(function (b) { b.disabled = false; });
  });
})();
