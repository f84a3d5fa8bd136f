// Quiz attempts: save the answers whenever one changes, so that closing the browser loses
// nothing. The page works without this file: its "Save answers" button posts the same form.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-quiz]");
  var button = form && form.querySelector("[data-save-answers]");
  if (!button || !window.fetch || !window.FormData) { return; }
  var status = form.querySelector("[data-save-status]");
  var url = button.formAction;
  var timer = null;
  var sending = null;
  var again = false;

  function show(text) { if (status) { status.textContent = text; } }

  function save() {
    timer = null;
    if (sending) { again = true; return sending; }
    var body = new FormData(form);
    body.delete("confirm_unanswered");
    sending = fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) {
          show(data.message || "Your answers are saved.");
        } else if (response.status === 409) {
          show(data.message || "This attempt has been submitted already.");
        } else {
          show("Your latest answers could not be saved. Select “Save answers” to try again.");
        }
      });
    }).catch(function () {
      show("Your latest answers could not be saved: check your connection, then select “Save answers”.");
    }).then(function () {
      sending = null;
      if (again) { again = false; return save(); }
    });
    return sending;
  }

  function soon() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, 400);
  }

  form.addEventListener("change", function (event) {
    if (event.target.name && event.target.name.indexOf("q-") === 0) { soon(); }
  });
  button.addEventListener("click", function (event) {
    event.preventDefault();
    if (timer) { clearTimeout(timer); }
    show("Saving your answers…");
    save();
  });
});
