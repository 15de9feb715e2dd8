// Appointments: keeps the booking page's slot grid current. The portal script re-dispatches
// every frame of the kernel's WebSocket as a "marcus:live" DOM event; slot frames carry
// {slotId, serviceId, available, booked, capacity, status}. A time nobody can book any more
// disappears at once; when times come back or are added, the grid is reloaded from the server.
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
