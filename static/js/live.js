// Live updates (Socket.IO): the unread badge, new and changed posts on an open thread page, and
// @mention suggestions in the composer. Every page works without this file.
(function () {
  "use strict";

  function fetchFragment(url, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.withCredentials = true;
    xhr.addEventListener("load", function () { if (xhr.status === 200) { done(xhr.responseText); } });
    xhr.send();
  }

  function toElement(html) {
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    return holder.firstElementChild;
  }

  function announce(text) {
    var status = document.querySelector("[data-testid=live-status]");
    if (status) { status.textContent = text; }
  }

  function startLive() {
    if (!window.io) { return; }
    var socket = window.io({ withCredentials: true });
    var posts = document.querySelector("[data-thread-id]");
    var room = posts ? "thread:" + posts.getAttribute("data-thread-id") : null;

    var presence = document.querySelector("[data-testid=presence]");
    function showPresence(people) {
      if (!presence || !people) { return; }
      presence.textContent = presence.getAttribute("data-label") + " " + people.join(", ");
      presence.hidden = people.length === 0;
    }

    socket.on("connect", function () {
      if (room) { socket.emit("join", { room: room }); }
    });
    socket.on("presence", function (data) { if (data.room === room) { showPresence(data.people); } });
    if (room) {
      setInterval(function () {
        if (socket.connected) {
          socket.emit("who", { room: room }, function (answer) { if (answer && answer.ok) { showPresence(answer.people); } });
        }
      }, 20000);
    }

    socket.on("attention", function (data) {
      document.dispatchEvent(new CustomEvent("hub:attention", { detail: data }));
    });

    socket.on("notification", function (data) {
      var badge = document.querySelector("[data-unread-badge]");
      var count = document.querySelector("[data-unread-count]");
      if (badge && count && typeof data.unread === "number") {
        count.textContent = String(data.unread);
        badge.hidden = data.unread === 0;
      }
    });

    if (!posts) { return; }
    var lastPage = posts.getAttribute("data-last-page") === "true";

    socket.on("post.new", function (data) {
      if (!lastPage || document.getElementById("post-" + data.post_id)) { return; }
      fetchFragment(data.fragment_url, function (html) {
        if (document.getElementById("post-" + data.post_id)) { return; }
        var element = toElement(html);
        if (!element) { return; }
        element.classList.add("post--live");
        posts.appendChild(element);
        announce((document.documentElement.lang.indexOf("fr") === 0 ? "Nouveau message de " : "New message from ") + (data.author || ""));
      });
    });

    function refresh(data) {
      var current = document.getElementById("post-" + data.post_id);
      if (!current) { return; }
      fetchFragment(data.fragment_url, function (html) {
        var element = toElement(html);
        var again = document.getElementById("post-" + data.post_id);
        if (element && again) { again.replaceWith(element); }
      });
    }
    socket.on("post.edited", refresh);
    socket.on("post.deleted", refresh);
    socket.on("post.reactions", refresh);
  }

  // @mention suggestions: a list of buttons under the message box.
  function startMentions() {
    var forms = document.querySelectorAll("form[data-mentions]");
    Array.prototype.forEach.call(forms, function (form) {
      var box = form.querySelector("textarea");
      if (!box) { return; }
      var list = document.createElement("ul");
      list.className = "mention-suggestions";
      list.setAttribute("aria-label", document.documentElement.lang.indexOf("fr") === 0 ? "Suggestions de mentions" : "Mention suggestions");
      list.hidden = true;
      list.id = (box.id || "message") + "-mentions";
      box.parentNode.insertBefore(list, box.nextSibling);
      box.setAttribute("aria-controls", list.id);
      var timer = null;
      var active = -1;
      function choices() { return list.querySelectorAll("button"); }
      function highlight(index) {
        var buttons = choices();
        active = index;
        Array.prototype.forEach.call(buttons, function (button, i) {
          button.classList.toggle("is-active", i === index);
          if (i === index) { button.setAttribute("aria-current", "true"); } else { button.removeAttribute("aria-current"); }
        });
      }
      function close() { list.hidden = true; highlight(-1); }
      // Arrow keys move through the suggestions, Enter or Tab chooses, Escape closes.
      box.addEventListener("keydown", function (event) {
        if (list.hidden) { return; }
        var buttons = choices();
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          var step = event.key === "ArrowDown" ? 1 : -1;
          highlight((active + step + buttons.length) % buttons.length);
        } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0 && buttons[active]) {
          event.preventDefault();
          buttons[active].click();
        } else if (event.key === "Escape") {
          event.preventDefault();
          close();
        }
      });
      box.addEventListener("input", function () {
        var before = box.value.slice(0, box.selectionStart);
        var match = /(^|\s)@([\w.\-]{1,30})$/.exec(before);
        if (!match) { close(); return; }
        clearTimeout(timer);
        timer = setTimeout(function () {
          var xhr = new XMLHttpRequest();
          xhr.open("GET", form.getAttribute("data-mentions") + "?q=" + encodeURIComponent(match[2]));
          xhr.responseType = "json";
          xhr.addEventListener("load", function () {
            var members = (xhr.response && xhr.response.members) || [];
            list.innerHTML = "";
            members.forEach(function (member, index) {
              var item = document.createElement("li");
              var button = document.createElement("button");
              button.type = "button";
              button.id = list.id + "-" + index;
              button.tabIndex = -1;
              button.className = "link-button";
              button.textContent = member.name + (member.organization ? " — " + member.organization : "");
              button.addEventListener("click", function () {
                var start = box.selectionStart - match[2].length;
                box.value = box.value.slice(0, start) + member.handle + " " + box.value.slice(box.selectionStart);
                box.focus();
                box.selectionStart = box.selectionEnd = start + member.handle.length + 1;
                close();
              });
              item.appendChild(button);
              list.appendChild(item);
            });
            list.hidden = members.length === 0;
            highlight(members.length ? 0 : -1);
          });
          xhr.send();
        }, 150);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    startMentions();
    try { startLive(); } catch (error) { /* the page works without live updates */ }
  });
})();
