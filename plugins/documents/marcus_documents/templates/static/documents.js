// Documents: the upload form sends itself with XMLHttpRequest to show the upload's progress.
// The server answers as it does for a plain form post: a redirect to the new document (the
// browser goes there) or the page again with the errors next to their fields (shown in place).
// Without this script the form posts as usual.
(function () {
  "use strict";

  function showPage(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
    var main = document.querySelector("main");
    if (fresh && main) {
      main.innerHTML = fresh.innerHTML;
      var first = main.querySelector("[aria-invalid=true], .alert");
      if (first && first.focus) { first.focus(); }
    }
  }

  function send(form) {
    var box = form.querySelector(".upload-progress");
    var bar = form.querySelector("progress");
    var percent = form.querySelector(".upload-percent");
    var button = form.querySelector("button[type=submit]");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action"));
    xhr.setRequestHeader("Accept", "text/html");
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) { return; }
      var done = Math.round((event.loaded / event.total) * 100);
      bar.value = done;
      bar.textContent = done + " %";
      percent.textContent = done + " %";
    });
    xhr.addEventListener("load", function () {
      if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL && xhr.responseURL !== location.href) {
        location.assign(xhr.responseURL);
      } else {
        showPage(xhr.responseText);
      }
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      box.hidden = true;
      var region = document.getElementById("live-region");
      if (region) { region.textContent = "The upload failed. Check your connection and try again."; }
    });
    box.hidden = false;
    button.disabled = true;
    xhr.send(new FormData(form));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-upload") || !window.FormData) { return; }
    event.preventDefault();
    send(form);
  });
})();
