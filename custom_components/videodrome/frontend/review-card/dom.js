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

