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

  // Signing with the person's own USB token: the server prepares the
  // signature, the signing helper on this PC (vanban-signer) shows the
  // person what they sign and asks the token's PIN in its own window, and
  // the server completes the signature. The PIN never reaches this page.
  document.querySelectorAll("[data-helper-sign]").forEach(function (box) {
    var button = box.querySelector("#helper-sign-button");
    var status = box.querySelector("#helper-status");
    var meta = document.querySelector("meta[name=csrf-token]");
    var csrf = meta ? meta.content : "";
    var helper = box.dataset.helper;
    function say(text, bad) {
      status.textContent = text;
      status.className = bad ? "error" : "muted";
    }
    function problem(r) {
      return r.json().then(function (p) { throw new Error(p.message || ("Lỗi " + r.status)); },
        function () { throw new Error("Lỗi " + r.status); });
    }
    function api(path, body) {
      return fetch(path, {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}, body: JSON.stringify(body)})
        .then(function (r) { return r.ok ? r.json() : problem(r); });
    }
    function toHelper(path, body) {
      return fetch(helper + path, body ? {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)} : {})
        .catch(function () {
          throw new Error("Không kết nối được chương trình ký vanban-signer trên máy của bạn. Hãy mở chương trình ký, cắm USB token rồi bấm lại.");
        })
        .then(function (r) { return r.ok ? r.json() : problem(r); });
    }
    function wait(id, until) {
      return new Promise(function (resolve) { setTimeout(resolve, 1000); }).then(function () {
        return toHelper("/v1/sign/" + encodeURIComponent(id));
      }).then(function (st) {
        if (st.state === "pending") {
          if (Date.now() > until) { throw new Error("Đã quá thời gian chờ xác nhận trên chương trình ký; hãy bấm lại."); }
          return wait(id, until);
        }
        if (st.state !== "signed") { throw new Error(st.message || "Chương trình ký không ký văn bản này."); }
        return st;
      });
    }
    button.addEventListener("click", function () {
      button.disabled = true;
      // Opened now, while the click allows it; the helper's page comes later.
      var win = window.open("", "vanban-signer", "width=600,height=720");
      var prepared;
      say("Đang chuẩn bị chữ ký…");
      api(box.dataset.prepare, {version_sha256: box.dataset.version}).then(function (p) {
        prepared = p;
        say("Hãy kiểm tra văn bản và nhập mã PIN trong cửa sổ của chương trình ký…");
        return toHelper("/v1/sign", {digest: p.digest, hash: "SHA-256", fingerprint: p.fingerprint,
          document: {title: p.title, number: p.number, unit: p.unit, file_sha256: p.file_sha256, signer: p.signer}});
      }).then(function (req) {
        if (win) { win.location = req.confirm_url; } else { window.open(req.confirm_url, "vanban-signer"); }
        return wait(req.id, Date.parse(prepared.expires_at));
      }).then(function (st) {
        say("Đang hoàn tất chữ ký…");
        return api("/api/v1/signatures/prepared/" + encodeURIComponent(prepared.id) + "/complete", {signature: st.signature});
      }).then(function () {
        say("Đã ký số.");
        window.location = box.dataset.back + "?done=signed";
      }).catch(function (e) {
        // A window still blank (the helper never answered) is closed;
        // the helper's own page says what happened there.
        try { if (win && !win.closed && win.location.href === "about:blank") { win.close(); } } catch (ignore) { /* the helper's page */ }
        say(e.message, true);
        button.disabled = false;
      });
    });
  });
})();
