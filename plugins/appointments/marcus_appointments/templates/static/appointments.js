// Appointments: keeps the booking page's slot grid and the staff's appointments list current.
// The portal script re-dispatches every frame of the kernel's WebSocket as a "marcus:live" DOM
// event; slot frames carry {slotId, serviceId, available, booked, capacity, status}. A time
// nobody can book any more disappears at once; when times come back or are added, the grid is
// reloaded from the server. The list part is at the end.
(function () {
  "use strict";

  function grid() { return document.getElementById("slot-grid"); }

  function tell(text) {
    var news = document.getElementById("slot-news");
    if (news) { news.textContent = text; }
  }

  function emptyIfNone(box) {
    if (box.querySelector("[data-slot-id]")) { return; }
    var list = box.querySelector(".slot-list");
    if (list) { list.remove(); }
    if (!box.querySelector(".slot-empty")) {
      var note = document.createElement("p");
      note.className = "empty slot-empty";
      note.textContent = "No free times on this day. Pick another day.";
      box.appendChild(note);
    }
  }

  function reload(box) {
    var chosen = box.querySelector("input[type=radio]:checked");
    var keep = chosen ? chosen.value : null;
    fetch(box.getAttribute("data-refresh"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        box.innerHTML = html;
        var again = keep && box.querySelector('input[value="' + keep + '"]');
        if (again) { again.checked = true; }
      })
      .catch(function () { /* the next frame or a reload will catch up */ });
  }

  function slotChanged(box, data) {
    var id = data.slotId || data.slot_id;
    var item = box.querySelector('[data-slot-id="' + id + '"]');
    var free = Number(data.available || 0);
    if (item && free <= 0) {
      var mine = item.querySelector("input:checked");
      item.remove();
      emptyIfNone(box);
      tell(mine ? "The time you chose was just taken. Please choose another." : "A time was just booked by someone else.");
    } else if (item) {
      var seats = item.querySelector(".seats");
      if (seats) { seats.textContent = "(" + free + " of " + data.capacity + " places left)"; }
    } else if (free > 0) {
      reload(box);
      tell("A time became free.");
    }
  }

  document.addEventListener("marcus:live", function (event) {
    var frame = event.detail || {};
    var data = frame.data || {};
    var box = grid();
    if (!box || (data.serviceId || data.service_id) !== box.getAttribute("data-service-id")) { return; }
    if (frame.event === "appointments:slot_changed") {
      slotChanged(box, data);
    } else if (frame.event === "appointments:slots_generated") {
      reload(box);
      tell("New times were added.");
    }
  });
})();

// The staff's appointments list. "appointments:list_changed" frames say only that some
// appointment of the workspace changed (every page of the workspace hears them, customers'
// too). The list then fetches its rows again, with its own filters and page
// (data-live-list: "?...&fragment=rows", answered through the same permission checks as the
// page), at most once per DELAY however many frames arrive, swaps them in place keeping focus
// and scroll, and says what changed in its polite status line (#list-news), from the rows
// themselves. Without JavaScript the list is the ordinary page.
(function () {
  "use strict";

  var DELAY = 800;  // ms: a burst of bookings costs a fetch or two, not one each
  var timer = null;
  var busy = false;
  var again = false;
  var stale = false;
  var connections = 0;

  function box() { return document.querySelector("[data-live-list]"); }

  function rowsOf(root) {
    var found = {};
    root.querySelectorAll("[data-number]").forEach(function (link) {
      found[link.getAttribute("data-number")] = link.getAttribute("data-status");
    });
    return found;
  }

  function totalOf(root) {
    var holder = root.querySelector("[data-total]");
    return holder ? Number(holder.getAttribute("data-total")) : 0;
  }

  function listed(numbers) {
    var shown = numbers.slice(0, 3).join(", ");
    return numbers.length > 3 ? shown + " and " + (numbers.length - 3) + " more" : shown;
  }

  function news(before, after, grown) {
    var added = [], changed = [];
    Object.keys(after).forEach(function (number) {
      if (!(number in before)) { added.push(number); }
      else if (before[number] !== after[number]) { changed.push(number + " is now " + after[number]); }
    });
    var parts = [];
    if (added.length && grown > 0) {
      parts.push(added.length + (added.length === 1 ? " new booking: " : " new bookings: ") + listed(added));
    } else if (added.length) {
      parts.push("Now listed: " + listed(added));
    }
    if (changed.length) { parts.push(listed(changed)); }
    return parts.length ? parts.join(". ") + "." : "The list changed.";
  }

  function tell(text) {
    var line = document.getElementById("list-news");
    if (!line) { return; }
    line.textContent = "";  // the same words twice are announced twice
    window.setTimeout(function () { line.textContent = text; }, 50);
  }

  function focusKey(list) {
    var active = document.activeElement;
    if (!active || active === list || !list.contains(active)) { return null; }
    return active.getAttribute("href") || active.textContent;
  }

  function refocus(list, key) {
    var match = null;
    list.querySelectorAll("a[href], button").forEach(function (el) {
      if (!match && (el.getAttribute("href") || el.textContent) === key) { match = el; }
    });
    (match || list).focus({ preventScroll: true });
  }

  function swap(list, html) {
    var incoming = document.createElement("div");
    incoming.innerHTML = html;
    if (!incoming.querySelector("[data-total]")) { return; }  // not the rows (a sign-in page ...)
    var current = list.querySelector("[data-total]");
    if (current && current.outerHTML === incoming.querySelector("[data-total]").outerHTML) { return; }
    var before = rowsOf(list), grown = totalOf(incoming) - totalOf(list);
    var key = focusKey(list);
    var x = window.scrollX, y = window.scrollY;
    var wrap = list.querySelector(".table-wrap");
    var across = wrap ? wrap.scrollLeft : 0;
    list.innerHTML = html;
    var after = rowsOf(list);
    list.querySelectorAll("[data-number]").forEach(function (link) {
      var row = link.closest("tr");
      if (row && !(link.getAttribute("data-number") in before)) { row.classList.add("row-new"); }
    });
    wrap = list.querySelector(".table-wrap");
    if (wrap) { wrap.scrollLeft = across; }
    if (key !== null) { refocus(list, key); }
    window.scrollTo(x, y);
    tell(news(before, after, grown));
  }

  function refresh() {
    timer = null;
    var list = box();
    if (!list) { return; }
    if (document.hidden) { stale = true; return; }  // fetched when the page is shown again
    busy = true;
    fetch(list.getAttribute("data-live-list"), {
      credentials: "same-origin",
      redirect: "manual",  // signed out: the answer is a redirect, never swapped in
      headers: { "Accept": "text/html" }
    })
      .then(function (r) { return r.status === 200 ? r.text() : null; })
      .then(function (html) { if (html !== null) { swap(list, html); } })
      .catch(function () { /* the next change or a reload will catch up */ })
      .then(function () {
        busy = false;
        if (again) { again = false; schedule(); }
      });
  }

  function schedule() {
    if (busy) { again = true; return; }
    if (timer === null) { timer = window.setTimeout(refresh, DELAY); }
  }

  document.addEventListener("marcus:live", function (event) {
    var frame = event.detail || {};
    if (!box()) { return; }
    if (frame.event === "appointments:list_changed") {
      schedule();
    } else if (frame.event === "connected") {
      connections += 1;
      if (connections > 1) { schedule(); }  // back after a break: changes may have been missed
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && stale) { stale = false; schedule(); }
  });
})();
