/*
 * Videodrome review card: the review queue as poster tiles, with Approve / pick another /
 * Reject, and the last ingests with their Plex match status.
 *
 * A plain custom element (no build step, no dependencies). Served and loaded by the
 * integration itself (custom_components/videodrome/card.py). It reads through the websocket
 * command `videodrome/review` and acts only through the services `videodrome.approve` and
 * `videodrome.reject`. It reads again whenever Videodrome's review queue or last ingest
 * sensor changes, so it follows what happens without polling.
 */

const CARD_TYPE = "videodrome-review-card";
const DOMAIN = "videodrome";
const DEFAULTS = { max_items: 20, recent: 5 };
// The card's options, and the keys Home Assistant's dashboards (and card-mod) add to any card.
const KNOWN_KEYS = ["type", "title", "entity", "max_items", "recent"];
const GENERIC_KEYS = ["view_layout", "layout_options", "grid_options", "visibility", "card_mod"];

const PLEX_STATUS = {
  plex_matched: ["Matched in Plex", "ok"],
  plex_mismatch: ["Plex matched another title", "bad"],
  plex_not_found: ["Not found in Plex", "bad"],
  plex_not_checked: ["Plex not checked", "neutral"],
};

const LIBRARIES = { movies: "Movies", tv: "TV shows" };

const REASONS = {
  no_candidates: "Nothing found on TMDb",
  close_runner_up: "Another title scores almost as well",
  ambiguous_without_year: "Several titles fit and the name has no year",
  id_hint: "The name carries an id",
  id_hint_year_mismatch: "The id in the name points at another year",
  id_hint_unconfirmed: "The id in the name could not be confirmed",
  title_mismatch: "The title differs",
  year_mismatch: "The year differs",
  below_auto_threshold: "Below the confidence for automatic filing",
  low_confidence: "Low confidence",
  parse_failed: "The name could not be read",
  parse_timeout: "Reading the name took too long",
  destination_exists: "The library already has a file at the Plex path",
  already_in_library: "Plex already has this title",
  episode_not_found: "TMDb does not list this episode",
  id_hint_not_found: "The id in the name is not on TMDb",
  no_season: "No season in the name",
  auto_ingest_off: "Automatic filing is off",
  tmdb_unavailable: "TMDb did not answer",
};

/* Build an element: h("div", {class: "x", onclick: fn}, [children or text]). */
function h(tag, attrs = {}, children = []) {
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

function percent(value) {
  return typeof value === "number" ? `${Math.round(value * 100)}%` : "–";
}

function titleYear(title, year) {
  if (!title) return "Unknown title";
  return year ? `${title} (${year})` : title;
}

function episodeLabel(item) {
  if (item.season === null || item.season === undefined) return "";
  const eps = (item.episodes || []).map((e) => `E${String(e).padStart(2, "0")}`).join("");
  return `S${String(item.season).padStart(2, "0")}${eps}`;
}

function safeImage(url) {
  return typeof url === "string" && /^(https?:\/\/|\/)/.test(url) ? url : null;
}

function poster(url, label, className = "poster") {
  const src = safeImage(url);
  if (!src) return h("div", { class: `${className} none`, "aria-hidden": "true" }, ["🎬"]);
  return h("img", { class: className, src, alt: label, loading: "lazy", decoding: "async" });
}

function validateCount(config, key, max) {
  if (config[key] === undefined) return DEFAULTS[key];
  const value = Number(config[key]);
  const min = key === "recent" ? 0 : 1;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${key} must be a whole number from ${min} to ${max} (got ${JSON.stringify(config[key])})`);
  }
  return value;
}

class VideodromeReviewCard extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = null;
    this._hass = null;
    this._data = null;
    this._error = null;
    this._watched = {};
    this._selected = new Map(); // item_id -> chosen candidate index
    this._busy = new Map(); // item_id -> "approve" | "reject"
    this._itemErrors = new Map(); // item_id -> message
    this._loading = null;
    this._again = false;
  }

  static getStubConfig() {
    return { title: "Videodrome review", recent: DEFAULTS.recent };
  }

  static getConfigForm() {
    return {
      schema: [
        { name: "title", selector: { text: {} } },
        { name: "entity", selector: { entity: { filter: { integration: DOMAIN, domain: "sensor" } } } },
        { name: "max_items", selector: { number: { min: 1, max: 100, mode: "box" } } },
        { name: "recent", selector: { number: { min: 0, max: 50, mode: "box" } } },
      ],
      computeLabel: (schema) =>
        ({
          title: "Title",
          entity: "Review queue sensor (optional: the only one is found by itself)",
          max_items: "Queued files shown",
          recent: "Last ingests shown (0 hides them)",
        })[schema.name],
    };
  }

  setConfig(config) {
    if (!config || typeof config !== "object") throw new Error("Invalid configuration");
    const unknown = Object.keys(config).filter((key) => !KNOWN_KEYS.includes(key) && !GENERIC_KEYS.includes(key));
    if (unknown.length) {
      throw new Error(`Unknown option(s): ${unknown.join(", ")} (the card knows ${KNOWN_KEYS.slice(1).join(", ")})`);
    }
    if (config.title !== undefined && typeof config.title !== "string") throw new Error("title must be text");
    if (config.entity !== undefined && !/^sensor\.[a-z0-9_]+$/.test(String(config.entity))) {
      throw new Error(`entity must be a sensor of Videodrome, like sensor.videodrome_review_queue (got ${JSON.stringify(config.entity)})`);
    }
    this._config = {
      title: config.title ?? "Videodrome review",
      entity: config.entity,
      max_items: validateCount(config, "max_items", 100),
      recent: validateCount(config, "recent", 50),
    };
    this._data = null;
    this._watched = {};
    if (this._hass) this._refresh();
  }

  set hass(hass) {
    this._hass = hass;
    if (!this._config) return;
    const entities = this._entities();
    const watched = {
      queue: entities.queue ? hass.states[entities.queue] : undefined,
      last: entities.last ? hass.states[entities.last] : undefined,
    };
    // A new state object for either sensor means something changed: read again.
    if (!this._data || watched.queue !== this._watched.queue || watched.last !== this._watched.last) {
      this._watched = watched;
      this._load();
    }
  }

  get hass() {
    return this._hass;
  }

  getCardSize() {
    const queued = this._data ? this._data.queue.length : 1;
    return 2 + queued * 4 + (this._config ? Math.ceil(this._config.recent / 2) : 0);
  }

  getGridOptions() {
    return { columns: 12, min_columns: 6, rows: "auto" };
  }

  connectedCallback() {
    this._render();
  }

  /* The review queue sensor (configured, or found) and the last ingest sensor beside it. */
  _entities() {
    const registry = (this._hass && this._hass.entities) || {};
    if (this._lookup && this._lookup.registry === registry && this._lookup.entity === this._config.entity) {
      return this._lookup.found;
    }
    const found = this._findEntities(registry);
    this._lookup = { registry, entity: this._config.entity, found };
    return found;
  }

  _findEntities(registry) {
    const ours = Object.values(registry).filter((e) => e.platform === DOMAIN);
    let queue = this._config.entity;
    if (!queue) {
      const found = ours.find((e) => e.translation_key === "review_queue");
      queue = found ? found.entity_id : undefined;
    }
    const device = queue && registry[queue] ? registry[queue].device_id : undefined;
    const last = ours.find((e) => e.translation_key === "last_ingest" && (!device || e.device_id === device));
    return { queue, last: last ? last.entity_id : undefined };
  }

  async _load() {
    if (this._loading) {
      this._again = true; // one more read after this one, so the last change is never missed
      return this._loading;
    }
    this._loading = (async () => {
      do {
        this._again = false;
        await this._fetch();
      } while (this._again);
    })();
    try {
      await this._loading;
    } finally {
      this._loading = null;
    }
  }

  _refresh() {
    this._watched = {};
    this._load();
  }

  async _fetch() {
    const entities = this._entities();
    const message = { type: `${DOMAIN}/review`, limit: this._config.max_items, recent: this._config.recent };
    if (entities.queue) message.entity_id = entities.queue;
    try {
      this._data = await this._hass.callWS(message);
      this._error = null;
    } catch (err) {
      this._error = (err && err.message) || String(err);
    }
    this._render();
  }

  async _act(item, action) {
    const data = { item_id: item.item_id };
    if (this._data && this._data.config_entry_id) data.config_entry_id = this._data.config_entry_id;
    if (action === "approve") {
      const index = this._selected.get(item.item_id) ?? 0;
      const chosen = (item.candidates || [])[index];
      if (chosen && index > 0) {
        data.tmdb_id = chosen.tmdb_id;
        if (chosen.media_type) data.media_type = chosen.media_type;
      }
    }
    this._busy.set(item.item_id, action);
    this._itemErrors.delete(item.item_id);
    this._render();
    try {
      await this._hass.callService(DOMAIN, action, data);
      this._selected.delete(item.item_id);
    } catch (err) {
      this._itemErrors.set(item.item_id, (err && err.message) || String(err));
    } finally {
      this._busy.delete(item.item_id);
    }
    await this._load();
  }

  _render() {
    if (!this.shadowRoot) return;
    const root = this.shadowRoot;
    root.replaceChildren(h("style", {}, [STYLE]), this._card());
  }

  _card() {
    const config = this._config || { title: "Videodrome review", recent: 0 };
    const data = this._data;
    const header = h("div", { class: "header" }, [
      h("span", { class: "title", text: config.title }),
      data && data.ingest ? h("span", { class: "count", title: "Files waiting for review", text: String(data.count) }) : null,
    ]);
    const body = [];
    if (this._error) body.push(h("div", { class: "message error", role: "alert", text: this._error }));
    if (!data && !this._error) body.push(h("div", { class: "message", text: "Loading…" }));
    if (data && !data.ingest) {
      body.push(h("div", { class: "message", text: `Ingest is not set up for ${data.title}: nothing to review.` }));
    }
    if (data && data.ingest) {
      body.push(this._queue(data));
      if (config.recent > 0) body.push(this._recent(data));
    }
    return h("ha-card", {}, [header, h("div", { class: "content" }, body)]);
  }

  _queue(data) {
    if (!data.queue.length) {
      return h("div", { class: "message empty", text: "Nothing waits for review." });
    }
    const more = data.count > data.queue.length ? h("div", { class: "more", text: `and ${data.count - data.queue.length} more` }) : null;
    return h("div", { class: "queue-wrap" }, [h("div", { class: "queue" }, data.queue.map((item) => this._tile(item))), more]);
  }

  _tile(item) {
    const candidates = item.candidates || [];
    const index = Math.min(this._selected.get(item.item_id) ?? 0, Math.max(candidates.length - 1, 0));
    const chosen = candidates[index];
    const busy = this._busy.get(item.item_id);
    const error = this._itemErrors.get(item.item_id);
    const label = chosen ? titleYear(chosen.title, chosen.year) : titleYear(item.title, item.year);
    const picks = candidates.map((c, i) =>
      h(
        "button",
        {
          class: `candidate${i === index ? " chosen" : ""}`,
          "data-candidate": c.tmdb_id,
          "aria-pressed": i === index ? "true" : "false",
          title: `Pick ${titleYear(c.title, c.year)}`,
          disabled: Boolean(busy),
          onclick: () => {
            this._selected.set(item.item_id, i);
            this._render();
          },
        },
        [
          poster(c.poster_url, titleYear(c.title, c.year), "thumb"),
          h("span", { class: "c-text" }, [
            h("span", { class: "c-title", text: titleYear(c.title, c.year) }),
            h("span", { class: "c-meta", text: `${c.media_type === "tv" ? "TV" : "Movie"} · ${percent(c.score)}` }),
          ]),
        ],
      ),
    );
    const approveText = busy === "approve" ? "Approving…" : index > 0 ? `Approve as ${chosen.title}` : "Approve";
    return h("article", { class: "tile", "data-item": item.item_id }, [
      h("div", { class: "tile-top" }, [
        poster(chosen ? chosen.poster_url : item.poster_url, label),
        h("div", { class: "tile-info" }, [
          h("div", { class: "file", title: item.file, text: item.file }),
          h("div", { class: "best", text: [label, episodeLabel(item)].filter(Boolean).join(" · ") }),
          h("div", { class: "confidence", text: `Confidence ${percent(item.confidence)}` }),
          h(
            "div",
            { class: "reasons" },
            (item.reasons || []).map((r) => h("span", { class: "chip", title: REASONS[r] || r, text: r })),
          ),
        ]),
      ]),
      candidates.length > 1 ? h("div", { class: "candidates", role: "group", "aria-label": "Candidates" }, picks) : null,
      error ? h("div", { class: "message error", role: "alert", text: error }) : null,
      h("div", { class: "actions" }, [
        h("button", {
          class: "approve",
          "data-action": "approve",
          disabled: Boolean(busy) || !chosen,
          text: approveText,
          onclick: () => this._act(item, "approve"),
        }),
        h("button", {
          class: "reject",
          "data-action": "reject",
          disabled: Boolean(busy),
          text: busy === "reject" ? "Rejecting…" : "Reject",
          onclick: () => this._act(item, "reject"),
        }),
      ]),
    ]);
  }

  _recent(data) {
    const rows = data.recent.map((item) => {
      const [text, tone] = PLEX_STATUS[item.plex_status] || [item.plex_status || "Plex: waiting", "neutral"];
      return h("li", { class: "recent-item", "data-item": item.item_id }, [
        poster(item.poster_url, titleYear(item.title, item.year), "thumb"),
        h("span", { class: "r-text" }, [
          h("span", { class: "r-title", text: [titleYear(item.title, item.year), episodeLabel(item)].filter(Boolean).join(" · ") }),
          h("span", { class: "r-meta", title: item.target || "", text: LIBRARIES[item.library] || item.library || item.file }),
        ]),
        h("span", { class: `status ${tone}`, "data-status": item.plex_status || "", text }),
      ]);
    });
    return h("section", { class: "recent" }, [
      h("h3", { text: "Last ingests" }),
      rows.length ? h("ul", {}, rows) : h("div", { class: "message empty", text: "Nothing ingested yet." }),
    ]);
  }
}

const STYLE = `
  :host { display: block; }
  ha-card { overflow: hidden; }
  .header { display: flex; align-items: center; gap: 8px; padding: 16px 16px 8px;
    font-size: var(--ha-card-header-font-size, 1.5em); color: var(--ha-card-header-color, var(--primary-text-color)); }
  .title { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .count { font-size: 0.6em; min-width: 1.6em; text-align: center; padding: 2px 8px; border-radius: 999px;
    background: var(--primary-color); color: var(--text-primary-color, #fff); }
  .content { padding: 0 16px 16px; color: var(--primary-text-color); }
  .queue { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 280px), 1fr)); gap: 12px; }
  .tile { display: flex; flex-direction: column; gap: 8px; padding: 10px; border-radius: 12px;
    border: 1px solid var(--divider-color, rgba(0,0,0,.12)); background: var(--secondary-background-color, transparent); min-width: 0; }
  .tile-top { display: flex; gap: 10px; min-width: 0; }
  .poster { width: 92px; aspect-ratio: 2 / 3; object-fit: cover; border-radius: 8px; flex: none;
    background: var(--divider-color, #ccc); }
  .poster.none, .thumb.none { display: flex; align-items: center; justify-content: center; font-size: 2em; }
  .tile-info { display: flex; flex-direction: column; gap: 4px; min-width: 0; }
  .file { font-family: var(--code-font-family, monospace); font-size: 0.85em; word-break: break-all;
    color: var(--secondary-text-color); }
  .best { font-weight: 500; }
  .confidence { font-size: 0.9em; color: var(--secondary-text-color); }
  .reasons { display: flex; flex-wrap: wrap; gap: 4px; }
  .chip { font-size: 0.75em; padding: 1px 8px; border-radius: 999px; background: var(--warning-color, #ff9800);
    color: var(--text-primary-color, #fff); }
  .candidates { display: flex; flex-direction: column; gap: 4px; }
  .candidate { display: flex; align-items: center; gap: 8px; text-align: start; width: 100%; padding: 4px;
    border-radius: 8px; border: 1px solid transparent; background: none; color: inherit; font: inherit; cursor: pointer; }
  .candidate:hover { background: var(--divider-color, rgba(0,0,0,.06)); }
  .candidate.chosen { border-color: var(--primary-color); }
  .thumb { width: 36px; aspect-ratio: 2 / 3; object-fit: cover; border-radius: 4px; flex: none;
    background: var(--divider-color, #ccc); font-size: 1em; }
  .c-text, .r-text { display: flex; flex-direction: column; min-width: 0; flex: 1; }
  .c-title, .r-title { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .c-meta, .r-meta { font-size: 0.8em; color: var(--secondary-text-color); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .actions { display: flex; gap: 8px; margin-top: auto; }
  .actions button { flex: 1; min-height: 40px; border-radius: 20px; font: inherit; font-weight: 500; cursor: pointer;
    padding: 0 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .approve { border: none; background: var(--primary-color); color: var(--text-primary-color, #fff); }
  .reject { background: none; border: 1px solid var(--error-color, #db4437); color: var(--error-color, #db4437); }
  button:disabled { opacity: 0.5; cursor: default; }
  button:focus-visible { outline: 2px solid var(--primary-color); outline-offset: 2px; }
  .message { padding: 8px 0; color: var(--secondary-text-color); }
  .message.error { color: var(--error-color, #db4437); }
  .more { padding-top: 8px; color: var(--secondary-text-color); font-size: 0.9em; }
  .recent h3 { font-size: 1em; font-weight: 500; margin: 16px 0 8px; }
  .recent ul { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 6px; }
  .recent-item { display: flex; align-items: center; gap: 10px; min-width: 0; }
  .status { flex: none; font-size: 0.75em; padding: 2px 8px; border-radius: 999px; white-space: nowrap;
    border: 1px solid currentColor; }
  .status.ok { color: var(--success-color, #43a047); }
  .status.bad { color: var(--error-color, #db4437); }
  .status.neutral { color: var(--secondary-text-color); }
  @media (max-width: 450px) {
    .content { padding: 0 12px 12px; }
    .poster { width: 72px; }
    .status { max-width: 40%; overflow: hidden; text-overflow: ellipsis; }
  }
`;

function define() {
  const registry = window.customElements;
  if (registry.get(CARD_TYPE)) return; // loaded twice (another version in the URL)
  registry.define(CARD_TYPE, VideodromeReviewCard);
  window.customCards = window.customCards || [];
  window.customCards.push({
    type: CARD_TYPE,
    name: "Videodrome review",
    description: "The review queue as posters, with Approve, pick another and Reject, and the last ingests.",
    preview: false,
    documentationURL: "https://github.com/videodrome-dev/videodrome#review-card",
  });
}

// Home Assistant's app replaces window.customElements with a scoped registry (a polyfill) when
// it starts. This module may run before that, and an element defined in the registry it
// replaces stays invisible to the dashboards ("Custom element doesn't exist"). So define the
// card once the app's root element exists: by then the registry in place is the one they use.
Promise.race(["home-assistant", "hc-main"].map((tag) => window.customElements.whenDefined(tag))).then(define);
