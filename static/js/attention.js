// What needs me: when an item is done on another page (or by someone else), it leaves the list and
// the counts follow. live.js receives the "attention" event and passes it on as "hub:attention".
(function () {
  "use strict";

  function update(data) {
    if (!data) { return; }
    (data.remove || []).forEach(function (key) {
      var items = document.querySelectorAll("[data-attention-key]");
      Array.prototype.forEach.call(items, function (item) {
        if (item.getAttribute("data-attention-key") === key) { item.parentNode.removeChild(item); }
      });
    });
    if (typeof data.count === "number") {
      var badge = document.querySelector("[data-attention-badge]");
      var count = document.querySelector("[data-attention-count]");
      if (badge && count) {
        count.textContent = String(data.count);
        badge.hidden = data.count === 0;
      }
    }
    var lists = document.querySelectorAll("[data-attention-list]");
    Array.prototype.forEach.call(lists, function (list) {
      var left = list.querySelectorAll("[data-attention-key]").length;
      var section = list.parentNode;
      var sectionCount = section.querySelector("[data-attention-section-count]");
      var empty = section.querySelector("[data-attention-empty]");
      if (sectionCount) { sectionCount.textContent = String(left); }
      if (empty) { empty.hidden = left > 0; }
    });
  }

  document.addEventListener("hub:attention", function (event) { update(event.detail); });
})();
