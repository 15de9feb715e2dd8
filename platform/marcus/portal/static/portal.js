// Marcus portal: small, dependency-free enhancements. Pages work without it.
// - the live notifications badge, through the kernel's WebSocket (/ws/notifications), which
//   authenticates this same-origin socket with the session cookie;
// - every frame is re-dispatched as a "marcus:live" DOM event ({event, data}) for plugin pages;
// - forms with data-confirm ask before sending.
(function () {
  "use strict";

  function badge() { return document.getElementById("unread-badge"); }

  function setUnread(count) {
    var el = badge();
    if (!el) { return; }
    el.textContent = String(count);
    el.setAttribute("data-unread", String(count));
    el.classList.toggle("badge-zero", count === 0);
    document.querySelectorAll("[data-live-unread]").forEach(function (figure) { figure.textContent = String(count); });
  }

  function announce(text) {
    var region = document.getElementById("live-region");
    if (region) { region.textContent = text; }
  }

  function prepend(note) {
    var list = document.getElementById("live-notifications");
    if (!list) { return; }
    var empty = list.querySelector(".empty");
    if (empty) { empty.remove(); }
    var item = document.createElement("li");
    item.className = "note note-unread";
    var body = document.createElement("div");
    var title = document.createElement(list.closest(".panel") ? "h3" : "h2");
    title.className = "note-title";
    title.textContent = note.title || "Notification";
    var message = document.createElement("p");
    message.textContent = note.message || "";
    body.appendChild(title);
    body.appendChild(message);
    item.appendChild(body);
    list.insertBefore(item, list.firstChild);
  }

  function refreshCount() {
    // Also renews an expiring session (the page context refreshes the cookies).
    return fetch("/notifications/unread.json", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body && typeof body.unread === "number") { setUnread(body.unread); } return body; })
      .catch(function () { return null; });
  }

  function connect(path, attempt) {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + path);
    var opened = false;
    socket.addEventListener("message", function (message) {
      var frame;
      try { frame = JSON.parse(message.data); } catch (e) { return; }
      if (frame.event === "connected") {
        opened = true;
        attempt = 0;
        document.body.setAttribute("data-live-state", "connected");
      } else if (frame.event === "notification:new") {
        var el = badge();
        setUnread((el ? parseInt(el.getAttribute("data-unread") || "0", 10) : 0) + 1);
        announce("New notification: " + ((frame.data && frame.data.title) || ""));
        prepend(frame.data || {});
      }
      document.dispatchEvent(new CustomEvent("marcus:live", { detail: frame }));
    });
    socket.addEventListener("close", function () {
      document.body.setAttribute("data-live-state", "closed");
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt));
      if (!opened && attempt > 6) { return; }  // signed out or refused: stop trying
      setTimeout(function () {
        refreshCount().then(function (body) { if (body) { connect(path, attempt + 1); } });
      }, delay);
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var path = document.body.getAttribute("data-live");
    if (path && "WebSocket" in window) { connect(path, 0); }
  });
})();
