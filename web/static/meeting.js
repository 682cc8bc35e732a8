// The meeting page and the chair's console, live: the meeting's event
// stream says something changed, the page is fetched again and each
// section marked data-live whose content changed is swapped in place,
// keeping what the user is typing. No full reload, no framework; every
// form still works without this script.
(function () {
  "use strict";

  var root = document.getElementById("meeting");
  if (!root || !window.fetch || !window.DOMParser) { return; }
  var meetingID = root.dataset.meeting;
  var pageURL = root.dataset.liveUrl;
  var status = document.getElementById("live-status");
  // Every kind of event the server sends (meetings.EventKinds), from the
  // page: a kind added there is listened to here without a change.
  var kinds = [];
  try { kinds = JSON.parse(document.getElementById("meeting-event-kinds").textContent); } catch (e) { kinds = []; }
  var source = null, timer = null, running = false, again = false, gone = false, down = false, retry = null, last = 0;

  // What the server last sent for each section: a section is swapped only
  // when this changes, not when the user merely opened a <details>.
  var served = {};
  root.querySelectorAll("[data-live]").forEach(function (s) { served[s.id] = s.innerHTML; });

  // Buttons that ask first (ending the meeting, removing someone).
  document.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("[data-confirm]") : null;
    if (b && !window.confirm(b.dataset.confirm)) { e.preventDefault(); }
  });

  function say(text) {
    if (!status) { return; }
    status.textContent = text;
    status.hidden = !text;
  }

  function lost() {
    if (gone) { return; }
    gone = true;
    if (source) { source.close(); source = null; }
    clearTimeout(timer);
    clearTimeout(retry);
    var box = document.createElement("div");
    box.className = "error gone";
    box.id = "meeting-gone";
    box.setAttribute("role", "alert");
    var strong = document.createElement("strong");
    strong.textContent = "Bạn không còn quyền truy cập cuộc họp này";
    var p = document.createElement("p");
    p.textContent = "Người tổ chức đã bỏ bạn (hoặc đơn vị của bạn) khỏi thành phần dự họp. Tài liệu và diễn biến cuộc họp không còn hiển thị.";
    var a = document.createElement("a");
    a.href = "/meetings";
    a.textContent = "Về lịch họp";
    box.appendChild(strong);
    box.appendChild(p);
    box.appendChild(a);
    root.replaceChildren(box);
  }

  // keep carries what the user did in old over to fresh: typed values,
  // ticked boxes, chosen options, opened <details>, and the focus.
  function keep(old, fresh) {
    old.querySelectorAll("details[id]").forEach(function (d) {
      var n = fresh.querySelector("#" + CSS.escape(d.id));
      if (n) { n.open = d.open; }
    });
    old.querySelectorAll("input[id], textarea[id], select[id]").forEach(function (el) {
      var n = fresh.querySelector("#" + CSS.escape(el.id));
      if (!n || el.type === "hidden" || el.type === "file") { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked !== el.defaultChecked) { n.checked = el.checked; }
      } else if (el.tagName === "SELECT") {
        n.value = el.value;
      } else if (el.value !== el.defaultValue) {
        n.value = el.value;
      }
    });
  }

  // busy: a file is chosen in the section; swapping would lose it.
  function busy(section) {
    return Array.prototype.some.call(section.querySelectorAll("input[type=file]"), function (f) {
      return f.files && f.files.length > 0;
    });
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var next = doc.getElementById("meeting");
    if (!next) { return; }
    var focused = document.activeElement && document.activeElement.id;
    var sel = null;
    if (focused && "selectionStart" in document.activeElement) {
      try { sel = [document.activeElement.selectionStart, document.activeElement.selectionEnd]; } catch (e) { sel = null; }
    }
    var deferred = false;
    next.querySelectorAll("[data-live]").forEach(function (fresh) {
      var old = document.getElementById(fresh.id);
      if (!old || served[fresh.id] === fresh.innerHTML) { return; }
      if (busy(old)) { deferred = true; return; }
      var node = document.importNode(fresh, true);
      keep(old, node);
      old.replaceWith(node);
      served[fresh.id] = fresh.innerHTML;
    });
    if (focused) {
      var f = document.getElementById(focused);
      if (f && f !== document.activeElement) {
        f.focus({ preventScroll: true });
        if (sel) { try { f.setSelectionRange(sel[0], sel[1]); } catch (e) { /* not a text field */ } }
      }
    }
    if (deferred) { schedule(3000); }
  }

  function refresh() {
    if (gone) { return; }
    if (running) { again = true; return; }
    running = true;
    last = Date.now();
    fetch(pageURL, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.status === 404) { lost(); return null; }
        if (r.redirected && new URL(r.url).pathname === "/login") { window.location.reload(); return null; }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.text();
      })
      .then(function (html) {
        if (html !== null) { swap(html); }
        if (!down) { say(""); }
      })
      .catch(function () { say("Chưa cập nhật được trang; sẽ thử lại."); schedule(5000); })
      .then(function () {
        running = false;
        if (again) { again = false; schedule(); }
      });
  }

  // schedule gathers a burst of events into one fetch, and fetches at
  // most about once a second: with hundreds of screens open, a run of
  // votes must not become a run of page loads each. The short first
  // delay also lets the change that sent the event finish committing;
  // the random part spreads the screens' fetches.
  function schedule(ms) {
    if (ms === undefined) {
      ms = Math.max(150, last + 1000 - Date.now()) + Math.floor(Math.random() * 200);
    }
    clearTimeout(timer);
    timer = setTimeout(refresh, ms);
  }

  function connect() {
    if (gone || !window.EventSource) { return; }
    source = new EventSource("/api/v1/meetings/" + encodeURIComponent(meetingID) + "/events");
    source.addEventListener("open", function () {
      root.dataset.live = "open";
      if (down) { down = false; say(""); schedule(); } // events may have been missed
    });
    // "removed" (meetings.EventRemoved): this person lost access; any
    // other kind: something on the page changed.
    kinds.forEach(function (k) {
      source.addEventListener(k, k === "removed" ? lost : function () { schedule(); });
    });
    source.addEventListener("message", function () { schedule(); });
    source.addEventListener("error", function () {
      if (gone) { return; }
      down = true;
      root.dataset.live = "down";
      if (source && source.readyState === EventSource.CLOSED) {
        // Refused (no access any more, or logged out): the page says which.
        source = null;
        say("Mất kết nối trực tiếp; đang thử lại…");
        refresh();
        clearTimeout(retry);
        retry = setTimeout(connect, 5000);
      } else {
        say("Mất kết nối trực tiếp; đang kết nối lại…");
      }
    });
  }

  window.addEventListener("pagehide", function () { if (source) { source.close(); } });
  connect();
})();
