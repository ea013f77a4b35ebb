// Digital Twin Chat page: persona header, replies streamed over server-sent events,
// the session id kept in localStorage so a reload restores the conversation.

const MAX_MESSAGE_CHARS = 4000;
const SESSION_KEY = "twin-chat-session";
const SESSION_ID = /^[A-Za-z0-9-]{8,64}$/;
const NO_STREAM_ROUTE = new Set([404, 405, 501]);

const config = window.TWIN_CONFIG ?? {};
const byId = (id) => document.getElementById(id);
const ui = {
  name: byId("twin-name"),
  headline: byId("twin-headline"),
  offline: byId("offline-badge"),
  conversation: byId("conversation"),
  empty: byId("empty-state"),
  messages: byId("messages"),
  error: byId("error"),
  form: byId("composer"),
  input: byId("message"),
  counter: byId("counter"),
  send: byId("send"),
  clear: byId("clear"),
};

const state = { twinName: "Twin", sessionId: null, busy: false };

/** The URL of an API route: relative to the page unless config.js names an API base. */
export function apiUrl(path) {
  const base = config.apiBase ? `${config.apiBase.replace(/\/+$/, "")}/` : document.baseURI;
  return new URL(`api/${path}`, base).href;
}

/** Characters as the server counts them: code points, after trimming. */
export function messageLength(text) {
  return [...text.trim()].length;
}

/**
 * An incremental parser for a text/event-stream body. ``push`` takes raw bytes as they
 * arrive (frames, lines and UTF-8 sequences may be split anywhere); ``onEvent(type, data)``
 * runs once per complete frame. An unfinished frame at the end is dropped, as the SSE spec says.
 */
export function createSseParser(onEvent) {
  const decoder = new TextDecoder();
  let buffer = "";
  let type = "message";
  let data = [];

  function takeLine(line) {
    if (line === "") {
      if (data.length > 0) onEvent(type, data.join("\n"));
      type = "message";
      data = [];
      return;
    }
    if (line.startsWith(":")) return; // comment / keep-alive
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") type = value;
    else if (field === "data") data.push(value);
  }

  function feed(text) {
    buffer += text;
    // A trailing CR may be the first half of a CRLF still in flight: keep it buffered.
    const lines = buffer.split(/\r\n|\r(?!$)|\n/);
    buffer = lines.pop();
    lines.forEach(takeLine);
  }

  return {
    push: (bytes) => feed(decoder.decode(bytes, { stream: true })),
    end: () => feed(decoder.decode()),
  };
}

class ProblemError extends Error {
  constructor(problem, retryAfterSeconds = null) {
    const text = problem.detail || problem.title || `The request failed (${problem.status}).`;
    super(retryAfterSeconds === null ? text : `${text} Try again in ${retryAfterSeconds} s.`);
    this.status = problem.status;
  }
}

function retryAfterSeconds(response) {
  const value = response.headers.get("Retry-After");
  if (!value) return null;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value) : (Date.parse(value) - Date.now()) / 1000;
  return Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : null;
}

async function problemFrom(response) {
  let problem = { status: response.status, title: response.statusText };
  try {
    problem = { ...problem, ...(await response.json()) };
  } catch {
    // Not a problem document (a proxy's error page): the status line has to do.
  }
  return new ProblemError(problem, retryAfterSeconds(response));
}

async function request(path, options = {}) {
  try {
    return await fetch(apiUrl(path), options);
  } catch {
    throw new ProblemError({ detail: "The twin could not be reached. Check your connection." });
  }
}

function postJson(path, body, accept) {
  return request(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: accept },
    body: JSON.stringify(body),
  });
}

/** Stream a reply; resolves with the ``done`` payload, or null when the server has no stream route. */
async function streamReply(body, { onSession, onToken }) {
  const response = await postJson("chat/stream", body, "text/event-stream");
  if (NO_STREAM_ROUTE.has(response.status)) return null;
  if (!response.ok) throw await problemFrom(response);
  let final = null;
  const parser = createSseParser((type, data) => {
    const payload = JSON.parse(data);
    if (type === "session") onSession(payload.session_id);
    else if (type === "token") onToken(payload.text);
    else if (type === "done") final = payload;
    else if (type === "error") throw new ProblemError(payload, payload.retry_after ?? null);
  });
  if (!response.body) {
    // No readable body streams in this browser: parse the whole body at once.
    parser.push(new Uint8Array(await response.arrayBuffer()));
  } else {
    const reader = response.body.getReader();
    try {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        parser.push(chunk.value);
      }
    } catch (error) {
      reader.cancel().catch(() => {});
      throw error instanceof ProblemError
        ? error
        : new ProblemError({ detail: "The connection dropped while the twin was answering." });
    }
  }
  parser.end();
  if (final === null) throw new ProblemError({ detail: "The reply ended before it was complete." });
  return final;
}

async function askTwin(body, handlers) {
  const streamed = await streamReply(body, handlers);
  if (streamed !== null) return streamed;
  const response = await postJson("chat", body, "application/json");
  if (!response.ok) throw await problemFrom(response);
  return response.json();
}

// --- session ---------------------------------------------------------------------------

function rememberSession(id) {
  state.sessionId = id;
  try {
    if (id) localStorage.setItem(SESSION_KEY, id);
    else localStorage.removeItem(SESSION_KEY);
  } catch {
    // Storage disabled (private mode): the session lasts until the page closes.
  }
  refreshControls();
}

function storedSession() {
  try {
    const id = localStorage.getItem(SESSION_KEY);
    return id && SESSION_ID.test(id) ? id : null;
  } catch {
    return null;
  }
}

// --- rendering -------------------------------------------------------------------------

const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function setTime(element, timestamp) {
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime())) return;
  const today = date.toDateString() === new Date().toDateString();
  element.dateTime = date.toISOString();
  element.textContent = (today ? timeFormat : dateTimeFormat).format(date);
}

function keepScrolledDown(update) {
  const box = ui.conversation;
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 48;
  update();
  if (atBottom) box.scrollTop = box.scrollHeight;
}

/** Add a message bubble; message text only ever goes in through textContent. */
function addMessage(role, content, timestamp) {
  const item = document.createElement("div");
  item.className = `message message-${role}`;
  item.dataset.role = role;
  const meta = document.createElement("p");
  meta.className = "message-meta";
  const author = document.createElement("span");
  author.className = "message-author";
  author.textContent = role === "user" ? "You" : state.twinName;
  const time = document.createElement("time");
  if (timestamp) setTime(time, timestamp);
  meta.append(author, " ", time);
  const text = document.createElement("p");
  text.className = "message-text";
  text.textContent = content;
  item.append(meta, text);
  keepScrolledDown(() => ui.messages.append(item));
  ui.empty.hidden = true;
  refreshControls();
  return {
    element: item,
    append: (piece) => keepScrolledDown(() => text.append(piece)),
    finish(response, at) {
      keepScrolledDown(() => {
        text.textContent = response;
      });
      setTime(time, at);
    },
    interrupt() {
      const note = document.createElement("span");
      note.className = "message-note";
      note.textContent = " (reply interrupted)";
      text.append(note);
    },
    remove() {
      item.remove();
      showEmptyState();
    },
  };
}

function showEmptyState() {
  ui.empty.hidden = ui.messages.childElementCount > 0;
  refreshControls();
}

function showError(message) {
  ui.error.textContent = message;
}

function refreshControls() {
  const length = messageLength(ui.input.value);
  const tooLong = length > MAX_MESSAGE_CHARS;
  ui.counter.textContent = `${length} / ${MAX_MESSAGE_CHARS}${tooLong ? " (too long)" : ""}`;
  ui.counter.classList.toggle("over", tooLong);
  ui.input.toggleAttribute("aria-invalid", tooLong);
  ui.send.disabled = state.busy || length === 0;
  ui.clear.disabled = state.busy || (!state.sessionId && ui.messages.childElementCount === 0);
}

function setBusy(busy) {
  state.busy = busy;
  ui.messages.setAttribute("aria-busy", String(busy));
  refreshControls();
}

// --- actions ---------------------------------------------------------------------------

async function send(text) {
  setBusy(true);
  showError("");
  const question = addMessage("user", text, new Date().toISOString());
  const reply = addMessage("assistant", "", null);
  reply.element.classList.add("streaming");
  let received = false;
  try {
    const done = await askTwin(
      { message: text, session_id: state.sessionId },
      {
        onSession: rememberSession,
        onToken: (piece) => {
          received = true;
          reply.append(piece);
        },
      },
    );
    reply.finish(done.response, done.timestamp);
    rememberSession(done.session_id);
  } catch (error) {
    if (received) {
      reply.interrupt();
    } else {
      // Nothing came back: take the message back so it can be sent again.
      reply.remove();
      question.remove();
      if (!ui.input.value) ui.input.value = text;
    }
    showError(error instanceof ProblemError ? error.message : `Something went wrong: ${error.message}`);
  } finally {
    reply.element.classList.remove("streaming");
    setBusy(false);
    ui.input.focus();
  }
}

function submit(event) {
  event.preventDefault();
  if (state.busy) return;
  const text = ui.input.value.trim();
  const length = messageLength(text);
  if (length === 0) return;
  if (length > MAX_MESSAGE_CHARS) {
    showError(
      `Your message is ${length} characters long; the limit is ${MAX_MESSAGE_CHARS}. Please shorten it.`,
    );
    ui.input.focus();
    return;
  }
  ui.input.value = "";
  send(text);
}

async function clearConversation() {
  if (!window.confirm("Clear this conversation? The twin will forget it for good.")) return;
  showError("");
  const id = state.sessionId;
  if (id) {
    setBusy(true);
    try {
      const response = await request(`chat/history/${encodeURIComponent(id)}`, { method: "DELETE" });
      if (!response.ok && response.status !== 404) throw await problemFrom(response);
    } catch (error) {
      showError(`The conversation could not be cleared: ${error.message}`);
      return;
    } finally {
      setBusy(false);
    }
  }
  // The next message starts a new session: the server issues its id.
  rememberSession(null);
  ui.messages.replaceChildren();
  showEmptyState();
  ui.input.focus();
}

async function loadPersona() {
  const response = await request("persona");
  if (!response.ok) throw await problemFrom(response);
  const persona = await response.json();
  state.twinName = persona.name;
  ui.name.textContent = persona.name;
  ui.headline.textContent = persona.headline;
  ui.offline.hidden = !persona.offline;
  ui.empty.textContent = `Ask ${persona.name} a question to start the conversation.`;
  document.title = `${persona.name} · Digital Twin Chat`;
}

async function restoreHistory() {
  const id = storedSession();
  if (!id) {
    rememberSession(null);
    return;
  }
  const response = await request(`chat/history/${encodeURIComponent(id)}`);
  if (response.status === 404) {
    rememberSession(null); // expired or cleared elsewhere: start afresh without a fuss
    return;
  }
  state.sessionId = id;
  if (!response.ok) throw await problemFrom(response);
  const history = await response.json();
  for (const message of history.messages) addMessage(message.role, message.content, message.timestamp);
}

function onKeydown(event) {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.form.requestSubmit();
  }
}

async function start() {
  ui.form.addEventListener("submit", submit);
  ui.input.addEventListener("keydown", onKeydown);
  ui.input.addEventListener("input", refreshControls);
  ui.clear.addEventListener("click", clearConversation);
  refreshControls();
  try {
    await loadPersona();
  } catch (error) {
    showError(`The twin's profile could not be loaded: ${error.message}`);
  }
  try {
    await restoreHistory();
  } catch (error) {
    showError(`The earlier conversation could not be restored: ${error.message}`);
  }
  refreshControls();
  document.body.dataset.ready = "true";
}

start();
