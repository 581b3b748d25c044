// The console's page: talks to the API of the process that served it, with the token from the
// URL's fragment (never sent to any server by the browser).
"use strict";
const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
const PAGE = 50;
const $ = id => document.getElementById(id);
let offset = 0;
let current = null;      // the open document's id
let currentDoc = null;   // its last answer
let sharedFeed = null;   // the open shared object's live feed
let currentChannel = null;

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

const enc = encodeURIComponent;

function show(error) {
  $("error").textContent = error ? String(error.message || error) : "";
}

function item(text, attributes = {}) {
  const li = document.createElement("li");
  li.textContent = text;
  for (const [k, v] of Object.entries(attributes)) li.setAttribute(k, v);
  return li;
}

function pretty(value) {
  return JSON.stringify(value, null, 2);
}

// ---- tabs ----

function openTab(name) {
  for (const tab of document.querySelectorAll(".tab")) tab.hidden = tab.id !== name;
  for (const b of document.querySelectorAll("#tabs button")) {
    b.classList.toggle("active", b.dataset.tab === name);
  }
  const load = { shared: loadSharedNames, channels: loadChannelNames, store: loadUsage }[name];
  if (load) load().catch(show);
}

// ---- documents ----

async function loadStore() {
  const s = await api("/api/store");
  if (s.channelsOnly) {
    $("store-info").textContent = `${s.location} · oplog channels only`;
    return s;
  }
  $("store-info").textContent =
    `${s.location} · ${s.documents} document${s.documents === 1 ? "" : "s"} · last change ${s.lastSequence}`;
  return s;
}

async function loadIds() {
  const q = $("search").value;
  const page = await api(`/api/docs?q=${enc(q)}&offset=${offset}&limit=${PAGE}`);
  $("ids").replaceChildren(...page.ids.map(id => {
    const li = item(id, { "data-id": id });
    if (id === current) li.classList.add("selected");
    li.onclick = () => openDocument(id).catch(show);
    return li;
  }));
  $("page").textContent =
    page.total === 0 ? "none" : `${offset + 1}–${offset + page.ids.length} of ${page.total}`;
  $("prev").disabled = offset === 0;
  $("next").disabled = offset + PAGE >= page.total;
}

function revision(id, rev) {
  return api(`/api/docs/${enc(id)}/revs/${enc(rev)}`);
}

async function openDocument(id) {
  const changed = current !== id;
  current = id;
  const d = await api(`/api/docs/${enc(id)}`);
  currentDoc = d;
  $("doc-id").textContent = id + (d.deleted ? " (deleted)" : "");
  $("doc-json").textContent = pretty(d.doc);
  $("history").replaceChildren(...d.history.map(r =>
    item(r.rev + (r.deleted ? " (deleted)" : ""), { "data-rev": r.rev, "class": r.leaf ? "leaf" : "" })));
  $("conflict-box").hidden = d.conflicts.length === 0;
  if (changed || d.conflicts.length === 0) $("merge-box").hidden = true;
  const choices = d.doc ? [d.doc._rev, ...d.conflicts] : d.conflicts;
  const rows = await Promise.all(choices.map(async rev => {
    const body = await revision(id, rev);
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
  $("conflicts").replaceChildren(...rows);
  fillCompare(d, changed);
  for (const li of document.querySelectorAll("#ids li")) {
    li.classList.toggle("selected", li.dataset.id === id);
  }
  show(null);
}

async function resolve(id, rev) {
  await api(`/api/docs/${enc(id)}/resolve`, { method: "POST", body: JSON.stringify({ keep: rev }) });
  await openDocument(id);
}

function startMerge() {
  $("merge-json").value = pretty(currentDoc.doc);
  $("merge-box").hidden = false;
}

async function saveMerge() {
  const merged = parseJson($("merge-json").value, "merge");
  await api(`/api/docs/${enc(current)}/merge`, { method: "POST", body: JSON.stringify(merged) });
  $("merge-box").hidden = true;
  await openDocument(current);
}

// ---- comparing two revisions ----

function fillCompare(d, reset) {
  const revs = [...new Set([...d.conflicts, ...d.history.filter(r => !r.deleted).map(r => r.rev)])];
  for (const [select, fallback] of [["diff-from", revs[1]], ["diff-to", revs[0]]]) {
    const before = $(select).value;
    $(select).replaceChildren(...revs.map(rev => {
      const option = document.createElement("option");
      option.value = option.textContent = rev;
      return option;
    }));
    $(select).value = !reset && revs.includes(before) ? before : (fallback || revs[0] || "");
  }
  $("compare").hidden = revs.length < 2;
  if (reset) $("diff").replaceChildren();
}

// Every leaf value of a JSON value by its dot path ("" for a scalar at the top).
function flatten(value, path = "", out = new Map()) {
  if (value !== null && typeof value === "object" && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) flatten(v, path === "" ? k : `${path}.${k}`, out);
  } else {
    out.set(path, JSON.stringify(value));
  }
  return out;
}

function diff(a, b) {
  const from = flatten(a);
  const to = flatten(b);
  const rows = [];
  for (const path of [...new Set([...from.keys(), ...to.keys()])].sort()) {
    if (path === "_rev") continue;
    if (!to.has(path)) rows.push(["removed", `− ${path}: ${from.get(path)}`]);
    else if (!from.has(path)) rows.push(["added", `+ ${path}: ${to.get(path)}`]);
    else if (from.get(path) !== to.get(path)) {
      rows.push(["changed", `~ ${path}: ${from.get(path)} → ${to.get(path)}`]);
    }
  }
  return rows;
}

async function compare() {
  const [a, b] = await Promise.all([revision(current, $("diff-from").value),
    revision(current, $("diff-to").value)]);
  const rows = diff(a, b);
  $("diff").replaceChildren(...(rows.length === 0
    ? [item("the same data")]
    : rows.map(([kind, text]) => item(text, { "class": kind }))));
}

// ---- the change feed ----

function follow() {
  const feed = new EventSource("/api/changes?token=" + enc(token));
  feed.addEventListener("change", event => {
    const c = JSON.parse(event.data);
    const list = $("changes");
    list.prepend(item(`${c.seq} ${c.id} ${c.rev}${c.deleted ? " deleted" : ""}`,
      { "data-id": c.id, "data-seq": c.seq }));
    while (list.children.length > 200) list.lastChild.remove();
    loadStore().catch(show);
    loadIds().catch(show);
    if (c.id === current) openDocument(current).catch(show);
  });
}

// ---- shared objects ----

// A list of names that opens one on a click, and marks which is open.
function showNames(list, names, open) {
  $(list).replaceChildren(...(names.length === 0
    ? [item("none in this store")]
    : names.map(name => {
      const li = item(name, { "data-name": name });
      li.onclick = () => open(name).catch(show);
      return li;
    })));
}

function markOpen(list, name) {
  for (const li of document.querySelectorAll(`#${list} li`)) {
    li.classList.toggle("selected", li.dataset.name === name);
  }
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`the ${what} is not JSON: ${e.message}`);
  }
}

async function loadSharedNames() {
  showNames("shared-names", (await api("/api/shared")).names, openShared);
}

function showShared(s) {
  $("shared-version").textContent =
    `version ${s.version}` + (s.host ? " · this console orders its patches" : "");
  $("shared-state").textContent = pretty(s.state);
}

async function openShared(name) {
  if (sharedFeed) sharedFeed.close();
  $("shared-name").textContent = name;
  $("shared-name").dataset.name = name;
  showShared(await api(`/api/shared/${enc(name)}`));
  $("patch-box").hidden = false;
  $("patch-result").textContent = "";
  markOpen("shared-names", name);
  sharedFeed = new EventSource(`/api/shared/${enc(name)}/live?token=${enc(token)}`);
  sharedFeed.addEventListener("state", event => showShared(JSON.parse(event.data)));
  show(null);
}

async function applyPatch() {
  const name = $("shared-name").dataset.name;
  const update = parseJson($("patch-json").value, "patch");
  const s = await api(`/api/shared/${enc(name)}/patch`, { method: "POST", body: JSON.stringify(update) });
  $("patch-result").textContent = `applied: version ${s.version}`;
  showShared(s);
}

// ---- oplog channels ----

async function loadChannelNames() {
  showNames("channel-names", (await api("/api/channels")).names, openChannel);
}

function cell(row, text, tag = "td") {
  const c = document.createElement(tag);
  c.textContent = text;
  row.append(c);
}

function valueText(log) {
  return log.reduced ? JSON.stringify(log.value) : "(the application's reducer)";
}

async function openChannel(name) {
  currentChannel = name;
  const c = await api(`/api/channels/${enc(name)}`);
  $("channel-name").textContent = name;
  $("channel-refresh").hidden = false;
  const head = document.createElement("tr");
  ["type", "path", "value", "operations", "after the checkpoint", "checkpoints"].forEach(h => cell(head, h, "th"));
  const rows = c.logs.map(log => {
    const tr = document.createElement("tr");
    tr.dataset.type = log.type;
    tr.dataset.path = log.path;
    [log.type, log.path, valueText(log), log.operations, log.pending, log.checkpoints]
      .forEach(v => cell(tr, String(v)));
    tr.onclick = () => openLog(name, log.type, log.path).catch(show);
    return tr;
  });
  $("logs").replaceChildren(head, ...rows);
  $("log").hidden = true;
  markOpen("channel-names", name);
  show(null);
}

async function openLog(channel, type, path) {
  const log = await api(`/api/channels/${enc(channel)}/log?type=${enc(type)}&path=${enc(path)}`);
  $("log").hidden = false;
  $("log-name").textContent = `${type} ${path}`;
  $("log-value").textContent = log.reduced ? pretty(log.value) : valueText(log);
  $("checkpoints").replaceChildren(...(log.checkpoints.length === 0
    ? [item("none: every operation is still in the log")]
    : log.checkpoints.map(cp => item(
      `${new Date(cp.date).toISOString()} · folds ${cp.covers} operations · state ${JSON.stringify(cp.state)}`))));
  $("operations").replaceChildren(...log.recent.map(op => item(
    `${new Date(op.date).toISOString()} ${op.writer}#${op.number} ${JSON.stringify(op.payload)}` +
    (op.folded ? " (folded into a checkpoint)" : ""))));
}

// ---- the store ----

function bytes(n) {
  if (n < 0) return "unknown";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

function showUsage(u) {
  const rows = [
    ["backend", u.backend], ["size on disk", bytes(u.bytesOnDisk)], ["logs", u.logs],
    ["entries (revisions, patches, operations)", u.entries], ["data", bytes(u.bytes)],
    ["a compaction would drop", `${u.reclaimableEntries} entries, ${bytes(u.reclaimableBytes)}`],
  ];
  $("usage").replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = String(v);
    dd.dataset.key = k;
    return [dt, dd];
  }));
}

async function loadUsage() {
  showUsage(await api("/api/store/usage"));
}

async function compact() {
  $("compact-result").textContent = "compacting…";
  const r = await api("/api/store/compact", { method: "POST", body: "{}" });
  $("compact-result").textContent = `dropped ${r.revisionsRemoved} old entries` +
    (r.bytesBefore >= 0 ? `: ${bytes(r.bytesBefore)} → ${bytes(r.bytesAfter)}` : "");
  showUsage(r.usage);
}

async function check() {
  $("check-result").textContent = "checking…";
  const r = await api("/api/store/check");
  const lines = [
    r.sound ? "Sound." : "Damaged.",
    `${r.records} records, ${r.documents} documents, ${bytes(r.bytes)} read.`,
    ...r.damaged.map(d => `damaged: ${d.file} ${d.from}–${d.to}: ${d.what}`),
    ...r.problems.map(p => "problem: " + p),
    ...r.notes.map(n => "note: " + n),
  ];
  const list = document.createElement("ul");
  list.append(...lines.map(l => item(l)));
  $("check-result").replaceChildren(list);
  $("check-result").className = r.sound ? "sound" : "damaged";
}

// ---- wiring ----

const act = f => () => f().catch(show);
for (const b of document.querySelectorAll("#tabs button")) b.onclick = () => openTab(b.dataset.tab);
$("search").oninput = () => { offset = 0; loadIds().catch(show); };
$("prev").onclick = () => { offset = Math.max(0, offset - PAGE); loadIds().catch(show); };
$("next").onclick = () => { offset += PAGE; loadIds().catch(show); };
$("merge-start").onclick = startMerge;
$("merge-save").onclick = act(saveMerge);
$("merge-cancel").onclick = () => { $("merge-box").hidden = true; };
$("diff-run").onclick = act(compare);
$("patch-apply").onclick = act(applyPatch);
$("channel-refresh").onclick = act(() => openChannel(currentChannel));
$("usage-run").onclick = act(loadUsage);
$("compact-run").onclick = act(compact);
$("check-run").onclick = act(check);
// a node's store holds channels only: the page shows just those
loadStore().then(s => {
  if (s.channelsOnly) {
    for (const b of document.querySelectorAll("#tabs button")) b.hidden = b.dataset.tab !== "channels";
    openTab("channels");
    return;
  }
  return loadIds().then(follow);
}).catch(show);
