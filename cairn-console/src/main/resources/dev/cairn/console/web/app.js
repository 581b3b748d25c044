// The console's page: talks to the API of the process that served it, with the token from the
// URL's fragment (never sent to any server by the browser).
"use strict";
const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
const PAGE = 50;
let offset = 0;
let current = null;

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function show(error) {
  document.getElementById("error").textContent = error ? String(error.message || error) : "";
}

function item(text, attributes = {}) {
  const li = document.createElement("li");
  li.textContent = text;
  for (const [k, v] of Object.entries(attributes)) li.setAttribute(k, v);
  return li;
}

async function loadStore() {
  const s = await api("/api/store");
  document.getElementById("store-info").textContent =
    `${s.location} · ${s.documents} documents · last change ${s.lastSequence}`;
}

async function loadIds() {
  const q = document.getElementById("search").value;
  const page = await api(`/api/docs?q=${encodeURIComponent(q)}&offset=${offset}&limit=${PAGE}`);
  const list = document.getElementById("ids");
  list.replaceChildren(...page.ids.map(id => {
    const li = item(id, { "data-id": id });
    if (id === current) li.classList.add("selected");
    li.onclick = () => openDocument(id).catch(show);
    return li;
  }));
  document.getElementById("page").textContent =
    page.total === 0 ? "none" : `${offset + 1}–${offset + page.ids.length} of ${page.total}`;
  document.getElementById("prev").disabled = offset === 0;
  document.getElementById("next").disabled = offset + PAGE >= page.total;
}

async function openDocument(id) {
  current = id;
  const d = await api(`/api/docs/${encodeURIComponent(id)}`);
  document.getElementById("doc-id").textContent = id + (d.deleted ? " (deleted)" : "");
  document.getElementById("doc-json").textContent = JSON.stringify(d.doc, null, 2);
  document.getElementById("history").replaceChildren(...d.history.map(r =>
    item(r.rev + (r.deleted ? " (deleted)" : ""), { "data-rev": r.rev, "class": r.leaf ? "leaf" : "" })));
  const box = document.getElementById("conflict-box");
  box.hidden = d.conflicts.length === 0;
  const choices = d.doc ? [d.doc._rev, ...d.conflicts] : d.conflicts;
  const rows = await Promise.all(choices.map(async rev => {
    const body = await api(`/api/docs/${encodeURIComponent(id)}/revs/${encodeURIComponent(rev)}`);
    const li = item("");
    const keep = document.createElement("button");
    keep.textContent = "Keep " + rev;
    keep.className = "keep";
    keep.dataset.rev = rev;
    keep.onclick = () => resolve(id, rev).catch(show);
    const pre = document.createElement("pre");
    pre.textContent = JSON.stringify(body);
    li.append(keep, pre);
    return li;
  }));
  document.getElementById("conflicts").replaceChildren(...rows);
  for (const li of document.querySelectorAll("#ids li")) {
    li.classList.toggle("selected", li.dataset.id === id);
  }
  show(null);
}

async function resolve(id, rev) {
  await api(`/api/docs/${encodeURIComponent(id)}/resolve`, {
    method: "POST", body: JSON.stringify({ keep: rev }),
  });
  await openDocument(id);
}

function follow() {
  const feed = new EventSource("/api/changes?token=" + encodeURIComponent(token));
  feed.addEventListener("change", event => {
    const c = JSON.parse(event.data);
    const list = document.getElementById("changes");
    list.prepend(item(`${c.seq} ${c.id} ${c.rev}${c.deleted ? " deleted" : ""}`,
      { "data-id": c.id, "data-seq": c.seq }));
    while (list.children.length > 200) list.lastChild.remove();
    loadStore().catch(show);
    loadIds().catch(show);
    if (c.id === current) openDocument(current).catch(show);
  });
}

document.getElementById("search").oninput = () => { offset = 0; loadIds().catch(show); };
document.getElementById("prev").onclick = () => { offset = Math.max(0, offset - PAGE); loadIds().catch(show); };
document.getElementById("next").onclick = () => { offset += PAGE; loadIds().catch(show); };
Promise.all([loadStore(), loadIds()]).then(follow).catch(show);
