// Mitra Media playground: a Telegram-like chat over the built-in fake Bot API server, and a
// WhatsApp-like one over the fake Cloud API for the persona on WhatsApp.
// Plain script, no build step. The server streams chat changes over SSE (/api/events).
"use strict";

const T = JSON.parse(document.getElementById("strings").textContent);
const SOP = document.body.dataset.sop;
const $ = (id) => document.getElementById(id);
const state = { personas: [], active: null, chats: {}, panelTimer: null, fast: false };

function api(path) {
  return path + (path.includes("?") ? "&" : "?") + "sop=" + encodeURIComponent(SOP);
}

async function post(path, body) {
  const response = await fetch(api(path), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) showToast(response.status === 409 ? T.stale : T.failed, true);
  return response;
}

function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]
  ));
}

function safeUrl(url) {
  return /^(https?:|tg:)/i.test(url || "") ? url : null;
}

// Telegram entities (UTF-16 offsets, as JavaScript strings index) to HTML, escaping the text.
const TAGS = {
  bold: ["<b>", "</b>"], italic: ["<i>", "</i>"], underline: ["<u>", "</u>"],
  strikethrough: ["<s>", "</s>"], code: ["<code>", "</code>"], pre: ["<pre>", "</pre>"],
  spoiler: ['<span class="spoiler">', "</span>"], blockquote: ["<blockquote>", "</blockquote>"],
  expandable_blockquote: ["<blockquote>", "</blockquote>"],
};

function entityTags(entity, text) {
  if (entity.type === "text_link" || entity.type === "url") {
    const url = safeUrl(entity.type === "url"
      ? text.substr(entity.offset, entity.length) : entity.url);
    return url ? [`<a href="${esc(url)}" target="_blank" rel="noopener">`, "</a>"] : ["", ""];
  }
  return TAGS[entity.type] || ["", ""];
}

function renderText(text, entities) {
  if (!text) return "";
  const opens = {}, closes = {};
  const sorted = [...(entities || [])].sort((a, b) => a.offset - b.offset || b.length - a.length);
  for (const entity of sorted) {
    const [open, close] = entityTags(entity, text);
    (opens[entity.offset] = opens[entity.offset] || []).push(open);
    const end = entity.offset + entity.length;
    (closes[end] = closes[end] || []).unshift(close);
  }
  let out = "";
  for (let i = 0; i <= text.length; i++) {
    if (closes[i]) out += closes[i].join("");
    if (opens[i]) out += opens[i].join("");
    if (i < text.length) out += esc(text[i]);
  }
  return out;
}

// WhatsApp's own markup (what the bot's WhatsApp renderer writes) to HTML: *tebal*, _miring_,
// ~coret~, `kode`, ```blok```, "> " quotes; a marker counts only around text that neither starts
// nor ends with a space and not inside a word, as on the phone. Escapes first: markers survive.
function renderWa(text) {
  if (!text) return "";
  const mark = (line) => line
    .replace(/```([^`]+)```/g, "<code>$1</code>")
    .replace(/`([^`\s](?:[^`]*[^`\s])?)`/g, "<code>$1</code>")
    .replace(/(^|[^\w*])\*(\S(?:[^*]*\S)?)\*(?![\w*])/g, "$1<b>$2</b>")
    .replace(/(^|[^\w_])_(\S(?:[^_]*\S)?)_(?![\w_])/g, "$1<i>$2</i>")
    .replace(/(^|[^\w~])~(\S(?:[^~]*\S)?)~(?![\w~])/g, "$1<s>$2</s>")
    .replace(/(https?:\/\/[^\s<)]+)/g, '<a href="$1" target="_blank" rel="noopener">$1</a>');
  return esc(text).split("\n").map((line) => (
    line.startsWith("&gt; ") ? `<span class="wa-quote-line">${mark(line.slice(5))}</span>` : mark(line)
  )).join("\n");
}

function isWa(id) {
  const persona = state.personas.find((p) => p.id === id);
  return Boolean(persona && persona.platform === "whatsapp");
}

// -- personas ------------------------------------------------------------------------------

function initials(name) {
  return name.split(/\s+/).map((w) => w[0]).slice(0, 2).join("").toUpperCase();
}

function renderPersonas() {
  const list = $("personas");
  list.innerHTML = "";
  for (const p of state.personas) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "persona" + (p.id === state.active ? " active" : "");
    button.dataset.persona = p.id;
    const wa = p.platform === "whatsapp";
    button.innerHTML = `<span class="avatar${p.journalist ? " press" : ""}">${esc(initials(p.name))}</span>
      <span class="who"><span class="name">${esc(p.name)}</span>
      <span class="role">${esc(p.title)}${wa ? ` · <span class="wa-tag">${esc(T.whatsapp)}</span>` : ""}</span></span>
      ${p.unread ? `<span class="badge" aria-label="belum dibaca">${p.unread}</span>` : ""}`;
    button.addEventListener("click", () => selectPersona(p.id));
    item.appendChild(button);
    list.appendChild(item);
  }
}

async function selectPersona(id) {
  state.active = id;
  history.replaceState(null, "", `?sop=${encodeURIComponent(SOP)}#orang=${id}`);
  const persona = state.personas.find((p) => p.id === id);
  persona.unread = 0;
  renderPersonas();
  const wa = persona.platform === "whatsapp";
  document.querySelector(".chat").classList.toggle("wa", wa);
  $("chat-avatar").textContent = wa ? "MM" : initials(persona.name);
  $("chat-who").textContent = `${T.you_as} ${persona.name} — ${persona.title}${wa ? " · " + T.on_whatsapp : ""}`;
  $("chat-sub").hidden = !wa;
  $("commands").hidden = true;
  $("attach").hidden = true;
  $("wa-list").hidden = true;
  $("toast").hidden = true;  // a toast belongs to the chat it was answered in
  $("text").placeholder = wa ? T.wa_placeholder : T.tg_placeholder;
  await loadChat(id);
  // A wa.me link opens the chat with "daftar" typed in; an empty chat starts the same way.
  $("text").value = wa && !state.chats[id].messages.size ? T.wa_start : "";
  post("/api/read", { persona: id });
}

async function loadChat(id) {
  const response = await fetch(api(`/api/chat/${id}`));
  const chat = await response.json();
  const messages = new Map();
  for (const m of chat.messages) messages.set(m.id, m);
  state.chats[id] = { messages, keyboard: chat.keyboard, commands: chat.commands };
  if (id === state.active) renderChat();
}

// -- the chat ------------------------------------------------------------------------------

function messageHtml(m) {
  let body = "";
  if (m.photo) {
    body += `<a href="${api(`/api/file/${state.active}/${m.id}`)}" target="_blank">
      <img class="photo" alt="${esc(T.photo)}" src="${api(`/api/file/${state.active}/${m.id}`)}"></a>`;
  }
  if (m.document) {
    const kb = Math.max(1, Math.round(m.document.size / 1024));
    body += `<a class="document" href="${api(`/api/file/${state.active}/${m.id}`)}" download>
      <span class="doc-icon" aria-hidden="true"></span><span><span class="doc-name">${esc(m.document.name)}</span>
      <span class="muted">${kb} KB · ${esc(T.download)}</span></span></a>`;
  }
  if (m.contact) body += `<div class="contact">${esc(T.contact)}: ${esc(m.contact)}</div>`;
  if (m.text) body += `<div class="text">${renderText(m.text, m.entities)}</div>`;
  const meta = `<div class="meta">${m.edited ? esc(T.edited) + " · " : ""}${esc(m.time)}</div>`;
  let buttons = "";
  if (m.buttons.length) {
    buttons = '<div class="inline-keyboard">' + m.buttons.map((row, r) => (
      '<div class="row">' + row.map((b, c) => {
        const url = safeUrl(b.url);
        if (url) return `<a class="ikb" href="${esc(url)}" target="_blank" rel="noopener">${esc(b.text)} ↗</a>`;
        return `<button type="button" class="ikb" data-message="${m.id}" data-row="${r}" data-col="${c}"
          ${b.callback ? "" : "disabled"}>${esc(b.text)}</button>`;
      }).join("") + "</div>"
    )).join("") + "</div>";
  }
  const presses = m.presses.map((p) => (
    `<div class="press">«${esc(p.label)}» ${esc(T.pressed_by)} ${esc(p.by)}, ${esc(p.when)}</div>`
  )).join("");
  return `<div class="bubble">${body}${meta}</div>${buttons}${presses}`;
}

// A WhatsApp bubble: a quoted message on top, a document or photo, the text in WhatsApp
// markup; under it its reply buttons (a template's quick reply too), or the button that opens
// its list.
function waMessageHtml(m) {
  const file = api(`/api/file/${state.active}/${m.id}`);
  let body = "";
  if (m.quote) {
    body += `<div class="wa-quote"><div class="wa-quote-who">${esc(m.quote.who)}</div>
      <div class="wa-quote-text">${renderWa(m.quote.text)}</div></div>`;
  }
  if (m.photo) body += `<a href="${file}" target="_blank"><img class="photo" alt="${esc(T.photo)}" src="${file}"></a>`;
  if (m.document) {
    const kb = Math.max(1, Math.round(m.document.size / 1024));
    const ext = (m.document.name.split(".").pop() || "").slice(0, 4).toUpperCase();
    body += `<a class="wa-doc" href="${file}" download><span class="wa-doc-icon">${esc(ext)}</span>
      <span class="wa-doc-name">${esc(m.document.name)}</span>
      <span class="muted">${kb} KB · ${esc(T.download)}</span></a>`;
  }
  if (m.text) body += `<div class="text">${renderWa(m.text)}</div>`;
  const template = m.template ? `<span class="wa-template" title="${esc(T.template_hint)}">${esc(T.template)}: ${esc(m.template)}</span> ` : "";
  const meta = `<div class="meta">${template}${esc(m.time)}${m.from_bot ? "" : ' <span class="ticks">✓✓</span>'}</div>`;
  let below = "";
  if (m.buttons.length) {
    below += '<div class="wa-buttons">' + m.buttons.map((title, i) => (
      `<button type="button" class="wa-button" data-choice="${i}">↩ ${esc(title)}</button>`
    )).join("") + "</div>";
  }
  if (m.list_button) {
    below += `<div class="wa-buttons"><button type="button" class="wa-list-open">☰ ${esc(m.list_button)}</button></div>`;
  }
  return `<div class="bubble">${body}${meta}${below}</div>`;
}

function openList(m) {
  const sheet = $("wa-list");
  $("wa-list-title").textContent = m.list_button;
  const rows = $("wa-list-rows");
  rows.innerHTML = "";
  m.rows.forEach((row, i) => {
    const item = document.createElement("li");
    item.innerHTML = `<button type="button" class="wa-row"><span class="wa-row-title">${esc(row.title)}</span>
      ${row.description ? `<span class="muted">${esc(row.description)}</span>` : ""}</button>`;
    item.querySelector("button").addEventListener("click", () => {
      sheet.hidden = true;
      post("/api/press", { persona: state.active, message: m.id, choice: m.buttons.length + i, label: row.title });
    });
    rows.appendChild(item);
  });
  sheet.hidden = false;
}

function renderMessage(m, node) {
  const li = node || document.createElement("li");
  li.className = "message " + (m.from_bot ? "bot" : "me");
  li.dataset.id = m.id;
  if (isWa(state.active)) {
    li.innerHTML = waMessageHtml(m);
    for (const button of li.querySelectorAll("button.wa-button")) {
      const choice = Number(button.dataset.choice);
      button.addEventListener("click", () => post("/api/press", {
        persona: state.active, message: m.id, choice, label: m.buttons[choice],
      }));
    }
    const opener = li.querySelector("button.wa-list-open");
    if (opener) opener.addEventListener("click", () => openList(m));
    return li;
  }
  li.innerHTML = messageHtml(m);
  for (const button of li.querySelectorAll("button.ikb")) {
    button.addEventListener("click", () => post("/api/press", {
      persona: state.active,
      message: Number(button.dataset.message),
      row: Number(button.dataset.row),
      col: Number(button.dataset.col),
      label: m.buttons[Number(button.dataset.row)][Number(button.dataset.col)].text,
    }));
  }
  return li;
}

function renderChat() {
  const chat = state.chats[state.active];
  const list = $("messages");
  list.innerHTML = "";
  for (const m of chat.messages.values()) list.appendChild(renderMessage(m));
  renderKeyboard(chat.keyboard);
  renderCommands(chat.commands);
  scrollToEnd();
}

// A new message shows the end of the chat, also once its photo has loaded.
function scrollToEnd() {
  const list = $("messages");
  list.scrollTop = list.scrollHeight;
  for (const img of list.querySelectorAll("img:not([data-seen])")) {
    img.dataset.seen = "1";
    img.addEventListener("load", () => { list.scrollTop = list.scrollHeight; });
  }
}

function renderKeyboard(keyboard) {
  const box = $("reply-keyboard");
  box.innerHTML = "";
  box.hidden = !keyboard;
  if (!keyboard) return;
  for (const row of keyboard.keyboard) {
    const line = document.createElement("div");
    line.className = "row";
    for (const b of row) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = b.text;
      button.addEventListener("click", () => (b.request_contact
        ? post("/api/contact", { persona: state.active })
        : post("/api/send", { persona: state.active, text: b.text })));
      line.appendChild(button);
    }
    box.appendChild(line);
  }
}

function renderCommands(commands) {
  const list = $("command-list");
  list.innerHTML = "";
  for (const c of commands || []) {
    const item = document.createElement("li");
    item.innerHTML = `<button type="button"><b>/${esc(c.command)}</b>
      <span class="muted">${esc(c.description)}</span></button>`;
    item.querySelector("button").addEventListener("click", () => {
      $("commands").hidden = true;
      post("/api/send", { persona: state.active, text: "/" + c.command });
    });
    list.appendChild(item);
  }
}

function upsertMessage(personaId, m) {
  const chat = state.chats[personaId];
  if (!chat) return false;
  const fresh = !chat.messages.has(m.id);
  chat.messages.set(m.id, m);
  if (personaId !== state.active) return fresh;
  const list = $("messages");
  const node = list.querySelector(`li[data-id="${m.id}"]`);
  if (m.deleted) {
    if (node) node.remove();
  } else if (node) {
    renderMessage(m, node);
  } else {
    list.appendChild(renderMessage(m));
  }
  if (fresh) scrollToEnd();
  return fresh;
}

let toastTimer = null;
function showToast(text, alert) {
  const box = $("toast");
  box.textContent = text;
  box.className = "toast" + (alert ? " alert" : "");
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, alert ? 6000 : 3000);
}

// -- the event stream ----------------------------------------------------------------------

function onEvent(event) {
  if (event.type === "message") {
    const persona = state.personas.find((p) => p.id === event.persona);
    const fresh = upsertMessage(event.persona, event.message);
    if (fresh && event.message.from_bot && persona && event.persona !== state.active) {
      persona.unread += 1;
      renderPersonas();
    }
    if (event.persona === state.active && fresh && event.message.from_bot) {
      post("/api/read", { persona: state.active });
    }
  } else if (event.type === "chat") {
    const chat = state.chats[event.persona];
    if (!chat) return;
    chat.keyboard = event.keyboard;
    chat.commands = event.commands;
    if (event.persona === state.active) {
      renderKeyboard(chat.keyboard);
      renderCommands(chat.commands);
    }
  } else if (event.type === "toast" && event.persona === state.active) {
    showToast(event.text, event.alert);
  } else if (event.type === "clock") {
    renderClock(event);
  } else if (event.type === "panel") {
    schedulePanel();
  }
}

function connect() {
  const source = new EventSource(api("/api/events"));
  source.onmessage = (message) => onEvent(JSON.parse(message.data));
}

// -- panel and clock -----------------------------------------------------------------------

function renderClock(clock) {
  $("clock-label").textContent = clock.label;
  $("clock-open").textContent = clock.open ? T.office_open : T.office_closed;
  state.fast = clock.fast;
  const button = $("clock-fast");
  button.textContent = clock.fast ? T.fast_on : T.fast_off;
  button.classList.toggle("on", clock.fast);
}

function schedulePanel() {
  clearTimeout(state.panelTimer);
  state.panelTimer = setTimeout(loadPanel, 200);
}

async function loadPanel() {
  const response = await fetch(api("/api/panel"));
  const panel = await response.json();
  renderClock(panel.clock);
  const box = $("cases");
  if (!panel.cases.length) {
    box.innerHTML = `<p class="muted">${esc(T.no_cases)}</p>`;
    return;
  }
  const open = new Set([...box.querySelectorAll("details[open]")].map((d) => d.dataset.case));
  box.innerHTML = panel.cases.map((c) => {
    const due = c.due ? `<div class="due ${c.late ? "late" : ""}">${esc(T.due)}: ${esc(c.due)}<br>
      ${c.late ? esc(T.late) : esc(T.left)} ${esc(c.left)} · ${c.progress}%
      <div class="bar"><span style="width:${Math.min(c.progress, 200) / 2}%"></span></div></div>` : "";
    const history = c.history.map((h) => `<li><span class="muted">${esc(h.when)}</span><br>
      ${esc(T.events[h.action] || h.action)}${h.actor ? " — " + esc(h.actor) : ""}${h.role ? ` (${esc(h.role)})` : ""}
      ${h.note ? `<br><i>${esc(h.note)}</i>` : ""}</li>`).join("");
    return `<article class="case">
      <div class="case-title">${esc(T.case)}${c.outlet ? " · " + esc(c.outlet) : ""}</div>
      ${c.agenda ? `<div class="muted">${esc(T.agenda)} ${esc(c.agenda)}</div>` : ""}
      ${c.step ? `<div>${esc(T.step)} ${c.step} ${esc(T.of)} ${c.total}: ${esc(c.activity || "")}</div>` : ""}
      ${c.role ? `<div>${esc(T.holder)}: ${esc(c.holders.join(", ") || T.nobody)} (${esc(c.role)})</div>` : ""}
      ${due}
      <details data-case="${c.id}" ${open.has(String(c.id)) ? "open" : ""}>
        <summary>${esc(T.history)} (${c.history.length})</summary><ol>${history}</ol></details>
    </article>`;
  }).join("");
}

// -- wiring --------------------------------------------------------------------------------

function wire() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("text");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    $("commands").hidden = true;
    post("/api/send", { persona: state.active, text });
  });
  $("menu-button").addEventListener("click", () => {
    $("attach").hidden = true;
    $("commands").hidden = !$("commands").hidden;
  });
  $("attach-button").addEventListener("click", () => {
    $("commands").hidden = true;
    $("attach").hidden = !$("attach").hidden;
  });
  $("contact-button").addEventListener("click", () => post("/api/contact", { persona: state.active }));
  $("wa-list-close").addEventListener("click", () => { $("wa-list").hidden = true; });
  for (const button of document.querySelectorAll("button.sample")) {
    button.addEventListener("click", () => {
      $("attach").hidden = true;
      post("/api/upload", { persona: state.active, sample: button.dataset.sample });
    });
  }
  $("file-input").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    const form = new FormData();
    form.append("persona", state.active);
    form.append("file", file, file.name);
    $("attach").hidden = true;
    const response = await fetch(api("/api/upload"), { method: "POST", body: form });
    if (!response.ok) showToast(response.status === 413 ? T.too_big : T.failed, true);
    event.target.value = "";
  });
  $("clock-fast").addEventListener("click", () => post("/api/clock", { action: state.fast ? "normal" : "fast" }));
  $("clock-jump").addEventListener("click", async () => {
    const response = await post("/api/clock", { action: "jump" });
    const result = await response.json();
    $("clock-note").textContent = result.moved ? "" : T.no_deadline;
  });
  $("panel-toggle").addEventListener("click", () => {
    const shown = document.body.classList.toggle("show-panel");
    $("panel-toggle").textContent = shown ? T.panel_close : T.panel_open;
  });
}

async function main() {
  wire();
  const response = await fetch(api("/api/state"));
  const initial = await response.json();
  state.personas = initial.personas;
  renderClock(initial.clock);
  connect();
  await Promise.all(state.personas.map((p) => loadChat(p.id)));
  const wanted = Number((location.hash.match(/orang=(\d+)/) || [])[1]);
  const start = state.personas.find((p) => p.id === wanted) || state.personas[0];
  await selectPersona(start.id);
  loadPanel();
  document.body.classList.add("ready");
}

main();
