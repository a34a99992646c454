// Live co-editing of a note: CodeMirror 6 bound to a Yjs document (y-codemirror.next), synced over
// Socket.IO in the room note:<id>. The plain form stays underneath: without JavaScript, or when the
// live connection cannot start, the note is edited in its textarea and saved with its base revision.
import * as Y from "yjs";
import { yCollab } from "y-codemirror.next";
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from "y-protocols/awareness";
import { EditorView, basicSetup } from "codemirror";
import { EditorState } from "@codemirror/state";
import { markdown } from "@codemirror/lang-markdown";

const REMOTE = "remote";
const MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
const THEME = EditorView.theme({
  "&": { minHeight: "20rem", fontSize: "1rem", backgroundColor: "#fff", color: "#1d2430", borderRadius: "8px" },
  "&.cm-focused": { outline: "3px solid #c2410c", outlineOffset: "2px" },
  ".cm-scroller": { fontFamily: MONO, lineHeight: "1.5", minHeight: "20rem" },
  ".cm-gutters": { backgroundColor: "#f5f7fa", color: "#4f5b6b", borderRight: "1px solid #c9d1dc" },
  ".cm-ySelectionInfo": { fontFamily: "system-ui, sans-serif", fontSize: ".8rem", color: "#fff", opacity: "1", padding: "0 .25rem", borderRadius: "3px" },
});
// Cursor colours with at least 4.5:1 contrast on white for the name labels.
const COLOURS = [
  ["#1f6feb", "#1f6feb33"], ["#b3261e", "#b3261e33"], ["#1b7f3b", "#1b7f3b33"], ["#8a3ffc", "#8a3ffc33"],
  ["#a15c00", "#a15c0033"], ["#00727a", "#00727a33"], ["#c0267e", "#c0267e33"], ["#4a5568", "#4a556833"],
];

// The hub's Content-Security-Policy (style-src 'self') ignores style attributes, which is how
// y-codemirror.next colours other people's cursors, selections and name labels. Styles set through
// the CSSOM are allowed: copy those attributes into element.style.
function keepCursorColours(root) {
  const apply = (element) => {
    const wanted = element.getAttribute("style");
    if (!wanted || element.dataset.hubStyle === wanted) return;
    element.style.cssText = wanted;
    element.dataset.hubStyle = element.getAttribute("style");
  };
  const scan = (node) => {
    if (node.nodeType !== 1) return;
    if (node.matches("[class*='cm-y'][style]")) apply(node);
    node.querySelectorAll("[class*='cm-y'][style]").forEach(apply);
  };
  new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      if (mutation.type === "attributes") scan(mutation.target);
      else mutation.addedNodes.forEach(scan);
    }
  }).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ["style"] });
  scan(root);
}

// The formatting toolbar: bold, heading, list and link, on the live editor once it is mounted,
// on the plain textarea before (or without) it. ``current()`` gives the live view or null.
function formatting(form, current) {
  const toolbar = form.querySelector("[data-note-toolbar]");
  const textarea = form.querySelector("textarea[name=body]");
  if (!toolbar || !textarea) return;
  toolbar.hidden = false;

  function edit(kind, text, from, to, lineStart) {
    const chosen = text.slice(from, to);
    if (kind === "bold") {
      const inner = chosen || "";
      return { from, to, insert: `**${inner}**`, select: [from + 2, from + 2 + inner.length] };
    }
    if (kind === "link") {
      const label = chosen || "";
      const at = from + label.length + 3;
      return { from, to, insert: `[${label}](https://)`, select: [at, at + 8] };
    }
    const prefix = kind === "heading" ? "## " : "- ";
    const block = text.slice(lineStart, to);
    const lines = block.split("\n").map((line) => (kind === "heading" ? prefix + line.replace(/^#+\s*/, "") : prefix + line));
    // Markdown needs a blank line between a paragraph and a heading or a list.
    const previous = text.slice(text.lastIndexOf("\n", lineStart - 2) + 1, Math.max(lineStart - 1, 0));
    const apart = lineStart > 0 && previous.trim() !== "" && !(kind === "list" && previous.startsWith("- "));
    const insert = (apart ? "\n" : "") + lines.join("\n");
    return { from: lineStart, to, insert, select: [lineStart + insert.length, lineStart + insert.length] };
  }

  toolbar.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-format]");
    if (!button) return;
    const kind = button.dataset.format;
    const view = current();
    if (view) {
      const { from, to } = view.state.selection.main;
      const text = view.state.doc.toString();
      const change = edit(kind, text, from, to, view.state.doc.lineAt(from).from);
      view.dispatch({ changes: { from: change.from, to: change.to, insert: change.insert }, selection: { anchor: change.select[0], head: change.select[1] } });
      view.focus();
      return;
    }
    const from = textarea.selectionStart;
    const to = textarea.selectionEnd;
    const text = textarea.value;
    const change = edit(kind, text, from, to, text.lastIndexOf("\n", from - 1) + 1);
    textarea.setRangeText(change.insert, change.from, change.to);
    textarea.focus();
    textarea.setSelectionRange(change.select[0], change.select[1]);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

function start(form) {
  const noteId = Number(form.dataset.noteId);
  const textarea = form.querySelector("textarea[name=body]");
  const status = form.querySelector("[data-testid=note-status]");
  const people = form.querySelector("[data-testid=note-people]");
  const liveField = form.querySelector("input[name=live]");
  const labels = form.dataset;
  let view = null;
  formatting(form, () => view);
  if (!noteId || !textarea || typeof window.io !== "function") return;

  const doc = new Y.Doc();
  const ytext = doc.getText("body");
  const awareness = new Awareness(doc);
  const [color, colorLight] = COLOURS[Number(form.dataset.userId || 0) % COLOURS.length];
  awareness.setLocalStateField("user", { name: form.dataset.userName || "", color, colorLight });

  let synced = false;
  let readonly = false;
  let pending = 0;
  let closed = false;

  function say(key) {
    if (!status) return;
    status.textContent = labels[key] || "";
    status.dataset.state = key.replace(/^label/, "").toLowerCase(); // live, saving, offline, connecting, readonly
  }

  function refreshStatus() {
    if (closed) return;
    if (!socket.connected) say("labelOffline");
    else if (!synced) say("labelConnecting");
    else if (readonly) say("labelReadonly");
    else say(pending ? "labelSaving" : "labelLive");
  }

  function mount() {
    const extensions = [
      basicSetup,
      markdown(),
      EditorView.lineWrapping,
      yCollab(ytext, awareness),
      EditorView.contentAttributes.of({ "aria-label": labels.labelEditor || "", "aria-multiline": "true" }),
      THEME,
    ];
    if (readonly) extensions.push(EditorState.readOnly.of(true), EditorView.editable.of(false));
    const holder = document.createElement("div");
    holder.className = "note-editor";
    holder.dataset.testid = "note-editor";
    textarea.insertAdjacentElement("afterend", holder);
    // In a shadow root, CodeMirror's generated styles go to a constructable style sheet, which the
    // Content-Security-Policy allows (a <style> element would be refused).
    const shadow = holder.attachShadow({ mode: "open" });
    view = new EditorView({ state: EditorState.create({ doc: ytext.toString(), extensions }), parent: shadow, root: shadow });
    keepCursorColours(shadow);
    textarea.hidden = true;
    textarea.disabled = true; // the text travels through the live document, not the form
    if (liveField) liveField.value = "1";
    form.classList.add("note-form--live");
    // Under the live editor the text is already saved: the button saves the title and leaves.
    const save = form.querySelector("[data-testid=note-save]");
    if (save && labels.labelDone) save.value = labels.labelDone;
  }

  function sendAwareness(clients) {
    if (!synced) return;
    socket.emit("note:awareness", { note: noteId, update: encodeAwarenessUpdate(awareness, clients) });
  }

  function send(update) {
    pending += 1;
    refreshStatus();
    socket.timeout(10000).emit("note:update", { note: noteId, update }, (error, ack) => {
      pending -= 1;
      if (error || !ack || !ack.ok) {
        // Not acknowledged: exchange state vectors again, so nothing is lost.
        synced = false;
        if (socket.connected) join();
      }
      refreshStatus();
    });
  }

  function join() {
    socket.emit("note:join", { note: noteId, client: doc.clientID, sv: Y.encodeStateVector(doc) }, (ack) => {
      if (!ack || !ack.ok) {
        closed = true;
        if (status) status.textContent = "";
        return;
      }
      Y.applyUpdate(doc, new Uint8Array(ack.update), REMOTE);
      readonly = Boolean(ack.readonly);
      if (!view) mount();
      synced = true;
      // What the server lacks: edits made while offline.
      const missing = Y.encodeStateAsUpdate(doc, new Uint8Array(ack.sv));
      if (!readonly && missing.length > 2) send(missing);
      sendAwareness([doc.clientID]);
      refreshStatus();
    });
  }

  // Now and then, compare state vectors with the server: an update lost on the way is caught.
  function resync() {
    if (!synced || closed) return;
    socket.timeout(10000).emit("note:sync", { note: noteId, sv: Y.encodeStateVector(doc) }, (error, ack) => {
      if (error || !ack || !ack.ok) return;
      Y.applyUpdate(doc, new Uint8Array(ack.update), REMOTE);
      const mine = Y.encodeStateAsUpdate(doc, new Uint8Array(ack.sv));
      if (!readonly && mine.length > 2) send(mine);
    });
  }
  window.setInterval(resync, 10000);

  const socket = window.io();
  refreshStatus();
  socket.on("connect", join);
  socket.on("disconnect", () => {
    synced = false;
    refreshStatus();
  });
  socket.on("note:update", (message) => {
    if (message && message.note === noteId) Y.applyUpdate(doc, new Uint8Array(message.update), REMOTE);
  });
  socket.on("note:awareness", (message) => {
    if (message && message.note === noteId) applyAwarenessUpdate(awareness, new Uint8Array(message.update), REMOTE);
  });
  socket.on("note:joined", (message) => {
    if (message && message.note === noteId) sendAwareness([doc.clientID]);
  });
  socket.on("note:left", (message) => {
    if (message && message.note === noteId && Array.isArray(message.clients)) removeAwarenessStates(awareness, message.clients, REMOTE);
  });
  socket.on("note:closed", (message) => {
    if (!message || message.note !== noteId) return;
    closed = true;
    socket.disconnect();
    if (view) view.dispatch({ effects: [] });
    if (status) status.textContent = labels.labelReadonly || "";
  });

  doc.on("update", (update, origin) => {
    if (origin === REMOTE || !synced || readonly) return; // when not synced, the next join sends it
    send(update);
  });
  awareness.on("update", ({ added, updated, removed }, origin) => {
    if (origin === REMOTE) return;
    sendAwareness(added.concat(updated, removed));
  });
  awareness.on("change", () => {
    if (!people) return;
    const names = [];
    awareness.getStates().forEach((state, clientId) => {
      if (clientId !== doc.clientID && state.user && state.user.name) names.push(state.user.name);
    });
    people.hidden = names.length === 0;
    people.textContent = names.length ? `✎ ${[...new Set(names)].join(", ")}` : "";
  });
  window.addEventListener("pagehide", () => socket.disconnect());
}

const form = document.querySelector("form.note-form[data-note-id]");
if (form) start(form);
