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
  form.addEventListener("submit", function (event) {
    if (form.querySelector("input[name=confirm_unanswered]")) { return; }
    var missing = [];
    form.querySelectorAll(".quiz-question").forEach(function (item, index) {
      if (!item.querySelector("input:checked")) { missing.push([item, index + 1]); }
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
