// Small pure helpers of the review card: building elements and formatting what it shows.

/* Build an element: h("div", {class: "x", onclick: fn}, [children or text]). */
export function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of [].concat(children)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function percent(value) {
  return typeof value === "number" ? `${Math.round(value * 100)}%` : "–";
}

export function titleYear(title, year) {
  if (!title) return "Unknown title";
  return year ? `${title} (${year})` : title;
}

export function episodeLabel(item) {
  if (item.season === null || item.season === undefined) return "";
  const eps = (item.episodes || []).map((e) => `E${String(e).padStart(2, "0")}`).join("");
  return `S${String(item.season).padStart(2, "0")}${eps}`;
}

function safeImage(url) {
  return typeof url === "string" && /^(https?:\/\/|\/)/.test(url) ? url : null;
}

export function poster(url, label, className = "poster") {
  const src = safeImage(url);
  if (!src) return h("div", { class: `${className} none`, "aria-hidden": "true" }, ["🎬"]);
  return h("img", { class: className, src, alt: label, loading: "lazy", decoding: "async" });
}

// home-assistant-js-websocket's ERR_CONNECTION_LOST: thrown as is by a command sent while the
// socket is down, or as { error: { code: 3 } } for a command pending when it closed.
const CONNECTION_LOST = 3;

const connectionLost = (err) => err === CONNECTION_LOST || Boolean(err && err.error && err.error.code === CONNECTION_LOST);

/* What a failed call says: Home Assistant's message, or that the connection was lost. */
export function errorText(err) {
  if (connectionLost(err)) return "The connection to Home Assistant was lost: try again once it is back.";
  if (err && err.code === "unknown_command") return "Videodrome is not set up in Home Assistant (yet).";
  if (err && typeof err.message === "string" && err.message) return err.message;
  return String(err);
}

/* Whether a failed read may work a little later: Videodrome still starting, or a lost socket. */
export function transient(err) {
  if (connectionLost(err)) return true;
  const key = err && err.translation_domain === "videodrome" ? err.translation_key : undefined;
  return Boolean(err) && (err.code === "unknown_command" || key === "entry_not_loaded" || key === "no_loaded_entries");
}
