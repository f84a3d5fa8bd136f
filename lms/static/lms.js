// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to an error summary so screen reader users hear what went wrong.
  var summary = document.querySelector("[data-autofocus]");
  if (summary) { summary.focus(); }
});

// Quiz answers: flag unanswered questions before the form is sent, as the server would.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-quiz]");
  if (!form) { return; }
  // Answered: an option chosen, a typed answer, or a matching answer selected.
  function answered(item) {
    if (item.querySelector("input:checked")) { return true; }
    var filled = Array.prototype.some.call(item.querySelectorAll("input[type=text]"), function (input) {
      return input.value.trim() !== "";
    });
    return filled || Array.prototype.some.call(item.querySelectorAll("select"), function (select) {
      return select.value !== "";
    });
  }
  form.addEventListener("submit", function (event) {
    if (form.querySelector("input[name=confirm_unanswered]")) { return; }
    var missing = [];
    form.querySelectorAll(".quiz-question").forEach(function (item, index) {
      if (!answered(item)) { missing.push([item, index + 1]); }
    });
    if (!missing.length) { return; }
    event.preventDefault();
    var summary = document.createElement("div");
    summary.className = "error-summary";
    summary.setAttribute("role", "alert");
    summary.setAttribute("tabindex", "-1");
    var title = document.createElement("h2");
    title.textContent = "You have not answered " + missing.length + " question" + (missing.length === 1 ? "" : "s");
    var text = document.createElement("p");
    text.textContent = "An unanswered question scores 0. Answer " + (missing.length === 1 ? "it" : "them") +
      " now, or select “Submit answers” again to submit as you are.";
    var list = document.createElement("ul");
    missing.forEach(function (pair) {
      pair[0].classList.add("form-group-error");
      var link = document.createElement("a");
      link.href = "#" + pair[0].id;
      link.textContent = "Question " + pair[1];
      var li = document.createElement("li");
      li.appendChild(link);
      list.appendChild(li);
    });
    summary.append(title, text, list);
    var confirm = document.createElement("input");
    confirm.type = "hidden";
    confirm.name = "confirm_unanswered";
    confirm.value = "yes";
    form.prepend(summary, confirm);
    summary.focus();
  });
});

// "Select everyone on this page" above a table of people to act on: a checkbox without
// script would do nothing, so the script adds it. The server still says "Select at least
// one person" when a form arrives with nobody selected.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("table[data-select-all]").forEach(function (table, index) {
    var boxes = Array.prototype.slice.call(table.querySelectorAll("tbody input[type=checkbox][name=user_id]"));
    if (!boxes.length) { return; }
    var wrap = document.createElement("div");
    wrap.className = "checkbox select-all";
    var all = document.createElement("input");
    all.type = "checkbox";
    all.id = "select-all-" + index;
    var label = document.createElement("label");
    label.htmlFor = all.id;
    label.textContent = table.getAttribute("data-select-all");
    wrap.append(all, label);
    var anchor = table.closest(".table-wrap") || table;
    anchor.parentNode.insertBefore(wrap, anchor);
    function sync() {
      var ticked = boxes.filter(function (box) { return box.checked; }).length;
      all.checked = ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      sync();
    });
    boxes.forEach(function (box) { box.addEventListener("change", sync); });
    sync();
  });
});
