// The certificate page's "Lấy từ thiết bị ký": asks the signing helper on
// this PC for the certificates on the USB token, lets the user choose one
// and posts it to /settings/certificates/helper. Without the script the
// page still offers the .cer upload.
(function () {
  "use strict";
  var box = document.getElementById("helper");
  var button = document.getElementById("helper-fetch");
  var form = document.getElementById("helper-form");
  var choices = document.getElementById("helper-choices");
  var status = document.getElementById("helper-status");
  if (!box || !button || !form || !choices || !status) { return; }
  var helper = (box.dataset.helperUrl || "http://127.0.0.1:8765").replace(/\/+$/, "");
  var found = [];
  var day = new Intl.DateTimeFormat("vi-VN", { day: "2-digit", month: "2-digit", year: "numeric", timeZone: "Asia/Ho_Chi_Minh" });

  function dateVN(s) {
    var d = new Date(s);
    return isNaN(d.getTime()) ? "" : day.format(d);
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    form.hidden = true;
    status.textContent = "Đang hỏi chương trình ký số trên máy tính…";
    fetch(helper + "/v1/certificates", { method: "GET", mode: "cors", credentials: "omit", cache: "no-store" })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (body) {
        found = (body && body.certificates) || [];
        while (choices.firstChild) { choices.removeChild(choices.firstChild); }
        if (!found.length) {
          status.textContent = "Không thấy chứng thư số nào trong thiết bị ký. Hãy kiểm tra thiết bị đã cắm vào máy.";
          return;
        }
        found.forEach(function (c, i) {
          var label = document.createElement("label");
          label.className = "check";
          var input = document.createElement("input");
          input.type = "radio";
          input.name = "helper-choice";
          input.value = String(i);
          input.id = "helper-choice-" + i;
          input.checked = i === 0;
          var text = document.createElement("span");
          text.textContent = (c.common_name || c.subject || "") + " — " + (c.issuer || "") +
            " — hiệu lực từ " + dateVN(c.not_before) + " đến " + dateVN(c.not_after) + (c.token ? " (" + c.token + ")" : "");
          label.appendChild(input);
          label.appendChild(document.createTextNode(" "));
          label.appendChild(text);
          choices.appendChild(label);
        });
        status.textContent = "Chọn chứng thư số mang tên bạn rồi bấm «Đăng ký chứng thư số đã chọn».";
        form.hidden = false;
      })
      .catch(function () {
        status.textContent = "Không kết nối được chương trình ký số trên máy tính (" + helper + "). Hãy cài đặt và mở chương trình ký số, rồi thử lại; hoặc tải lên tệp .cer bên dưới.";
      })
      .then(function () { button.disabled = false; });
  });

  form.addEventListener("submit", function (e) {
    var chosen = form.querySelector("input[name=helper-choice]:checked");
    var c = chosen && found[parseInt(chosen.value, 10)];
    if (!c) {
      e.preventDefault();
      status.textContent = "Hãy chọn một chứng thư số.";
      return;
    }
    form.querySelectorAll("input[data-sent]").forEach(function (el) { el.remove(); });
    function add(name, value) {
      var el = document.createElement("input");
      el.type = "hidden";
      el.name = name;
      el.value = value;
      el.dataset.sent = "1";
      form.appendChild(el);
    }
    add("certificate", c.certificate || "");
    (c.chain || []).forEach(function (x) { add("chain", x); });
  });
})();
