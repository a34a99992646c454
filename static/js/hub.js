// Progressive enhancements; every page works without this file.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = button && button.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      return;
    }
    // Confirmed here: post straight to the action instead of opening its confirmation page.
    var form = event.target;
    var action = message && form.getAttribute && form.getAttribute("data-confirm-post");
    if (action) {
      event.preventDefault();
      form.method = "post";
      form.action = action;
      Array.prototype.forEach.call(form.querySelectorAll("input[name=t]"), function (input) { input.disabled = true; });
      Array.prototype.forEach.call(form.querySelectorAll("input[name=csrf_token]"), function (input) { input.disabled = false; });
      form.submit();
    }
  });
  // Move focus to the error summary so screen-reader users hear what to fix.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-testid=form-errors]");
    if (summary) { summary.focus(); }
    // Filters beside the results: folded on a phone (results first), open on a wide screen.
    if (window.matchMedia && window.matchMedia("(min-width: 48rem)").matches) {
      document.querySelectorAll("details[data-open-wide]").forEach(function (details) { details.open = true; });
    }
  });
})();

// Upload forms (data-upload): send with XMLHttpRequest to show a progress bar. Without
// JavaScript, or if anything fails here, the form posts normally.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-upload") || event.defaultPrevented || !window.FormData) { return; }
    var fileInput = form.querySelector("input[type=file]");
    if (!fileInput || !fileInput.files || fileInput.files.length === 0) { return; }
    event.preventDefault();
    var box = form.querySelector(".upload-progress");
    var bar = box && box.querySelector("progress");
    var buttons = form.querySelectorAll("button, input[type=submit]");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    if (box) { box.hidden = false; }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable && bar) { bar.value = Math.round((e.loaded / e.total) * 100); }
    });
    xhr.addEventListener("load", function () {
      // Show the answer as the browser would have: the page the form redirected to (loading it
      // again would lose its one-time confirmation message), the form with its errors, or an
      // error page.
      if (xhr.status < 400 && xhr.responseURL && xhr.responseURL !== form.action) {
        if (!window.history || !window.history.replaceState) {
          window.location.assign(xhr.responseURL);
          return;
        }
        window.history.replaceState(null, "", xhr.responseURL);
      }
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.addEventListener("error", function () {
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
      if (box) { box.hidden = true; }
      form.removeAttribute("data-upload");
      form.submit();
    });
    xhr.send(new FormData(form));
  });
})();

// Copy buttons (data-copy="<id of the field>"): shown only where the clipboard can be written.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    if (!navigator.clipboard || !window.isSecureContext) { return; }
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var field = document.getElementById(button.getAttribute("data-copy"));
      var status = document.querySelector("[data-copy-status='" + button.getAttribute("data-copy") + "']");
      if (!field) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(field.value).then(function () {
          if (status) { status.textContent = button.getAttribute("data-copied"); }
        }, function () {
          field.select();
        });
      });
    });
  });
})();
