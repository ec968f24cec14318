/*
 * Videodrome review card: the review queue as poster tiles, with Approve / pick another /
 * Reject, and the last ingests with their Plex match status.
 *
 * A plain custom element (no build step, no dependencies): this module and the ones in
 * review-card/, served and loaded by the integration itself (custom_components/videodrome/
 * card.py). It reads through the websocket command `videodrome/review` and acts only through
 * the services `videodrome.approve` and `videodrome.reject`, which only administrators may
 * call: anyone else gets the queue read-only. It reads again whenever Videodrome's review
 * queue or last ingest sensor changes, so it follows what happens without polling.
 *
 * It holds no subscription and no connection of its own: it reads with the `hass` object it
 * was given last. Home Assistant's frontend re-subscribes to the states after every reconnect
 * (a restart, or an access token refreshed on the way) and hands every card a new `hass` with
 * new state objects, so the card reads again then. While the frontend is disconnected
 * (`hass.connected` false) it keeps what it shows and disables Approve and Reject. A read that
 * fails because Videodrome is not loaded yet (Home Assistant answers before its integrations
 * are set up, and its sensors may show up a moment before the server is ready) is tried again
 * a few times, less and less often, rather than on every state change of a starting Home
 * Assistant; after that, at the next change of the sensors.
 */

import { DEFAULTS, DOMAIN, configForm, parseConfig } from "./review-card/config.js";
import { episodeLabel, errorText, h, percent, poster, titleYear, transient } from "./review-card/dom.js";
import { LIBRARIES, PLEX_STATUS } from "./review-card/labels.js";
import { loadReasonPhrases, reasonPhrase } from "./review-card/reasons.js";
import { STYLE } from "./review-card/style.js";

const CARD_TYPE = "videodrome-review-card";
const RETRY_S = [1, 2, 4, 8, 16, 30]; // waits before reading again after a read failed for a while

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
    this._offline = false;
    this._shown = "";
    this._retry = null; // the timer of the next try of a read that failed for a while
    this._tries = 0; // retries since the last success or change
    this._phrases = null; // the frontend's localize with the reason phrases loaded
    this._phrasesFor = null; // the language they were loaded for
  }

  static getStubConfig() {
    return { title: "Videodrome review", recent: DEFAULTS.recent };
  }

  static getConfigForm() {
    return configForm();
  }

  setConfig(config) {
    this._config = parseConfig(config);
    this._data = null;
    this._error = null;
    this._watched = {};
    if (this._hass) this._refresh();
  }

  set hass(hass) {
    this._hass = hass;
    this._offline = hass.connected === false;
    // What the card shows besides the data: offline or not, buttons or not (before the server says).
    const shown = `${this._offline}/${Boolean(hass.user && hass.user.is_admin)}`;
    const changed = shown !== this._shown;
    this._shown = shown;
    this._loadPhrases(hass);
    if (!this._config) return;
    if (this._offline) {
      // Nothing can be read or decided now; the frontend hands a new hass once it is back.
      if (changed) this._render();
      return;
    }
    const entities = this._entities();
    const watched = {
      queue: entities.queue ? hass.states[entities.queue] : undefined,
      last: entities.last ? hass.states[entities.last] : undefined,
    };
    // A new state object for either sensor means something changed: read again. (After a failed
    // read, only then: the retry timer covers the rest.)
    const never = !this._data && !this._error;
    if (never || watched.queue !== this._watched.queue || watched.last !== this._watched.last) {
      this._watched = watched;
      this._tries = 0;
      this._load();
    } else if (changed) {
      this._render();
    }
  }

  get hass() {
    return this._hass;
  }

  /* Videodrome's reason phrases in the user's language, loaded once per language. */
  _loadPhrases(hass) {
    const language = hass.language || "en";
    if (this._phrasesFor === language) return;
    this._phrasesFor = language;
    loadReasonPhrases(hass).then((localize) => {
      if (this._phrasesFor !== language || !localize) return;
      this._phrases = localize;
      this._render();
    });
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
    // Back in a view after a failed read: its retry stopped when the card left; read now.
    if (this._error && this._hass && !this._retry && !this._offline) this._refresh();
  }

  disconnectedCallback() {
    clearTimeout(this._retry);
    this._retry = null;
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
      this._tries = 0;
    } catch (err) {
      this._error = errorText(err);
      if (transient(err)) this._retryLater();
    }
    this._render();
  }

  _retryLater() {
    if (this._retry || !this.isConnected || this._tries >= RETRY_S.length) return;
    this._retry = setTimeout(() => {
      this._retry = null;
      if (!this._offline) this._load(); // offline: the frontend's next hass brings a read
    }, RETRY_S[this._tries++] * 1000);
  }

  /* Whether this user may approve and reject: the server says so; an older one does not. */
  _canDecide() {
    if (this._data && typeof this._data.can_decide === "boolean") return this._data.can_decide;
    return Boolean(this._hass && this._hass.user && this._hass.user.is_admin);
  }

  async _act(item, action) {
    if (!this._canDecide() || this._offline) return;
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
      this._itemErrors.set(item.item_id, errorText(err));
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
    if (this._offline) body.push(h("div", { class: "message offline", role: "status", text: "Reconnecting to Home Assistant…" }));
    if (this._error) body.push(h("div", { class: "message error", role: "alert", text: this._error }));
    if (!data && !this._error) body.push(h("div", { class: "message", text: "Loading…" }));
    if (data && !data.ingest) {
      body.push(h("div", { class: "message", text: `Ingest is not set up for ${data.title}: nothing to review.` }));
    }
    if (data && data.ingest) {
      if (!this._canDecide()) body.push(h("div", { class: "message read-only", text: "Only administrators can approve or reject." }));
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
    const decide = this._canDecide();
    const candidates = item.candidates || [];
    const index = Math.min(this._selected.get(item.item_id) ?? 0, Math.max(candidates.length - 1, 0));
    const chosen = candidates[index];
    const busy = this._busy.get(item.item_id);
    const error = this._itemErrors.get(item.item_id);
    const label = chosen ? titleYear(chosen.title, chosen.year) : titleYear(item.title, item.year);
    const disabled = Boolean(busy) || this._offline;
    // Someone who may not decide sees the candidates as a list, not as choices.
    const pick = (c, i) => ({
      "aria-pressed": i === index ? "true" : "false",
      title: `Pick ${titleYear(c.title, c.year)}`,
      disabled,
      onclick: () => {
        this._selected.set(item.item_id, i);
        this._render();
      },
    });
    const picks = candidates.map((c, i) =>
      h(
        decide ? "button" : "div",
        {
          class: `candidate${i === index ? " chosen" : ""}`,
          "data-candidate": c.tmdb_id,
          ...(decide ? pick(c, i) : {}),
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
            (item.reasons || []).map((r) => h("span", { class: "chip", "data-reason": r, title: r, text: reasonPhrase(this._phrases, r) })),
          ),
          qualities(item.quality),
        ]),
      ]),
      candidates.length > 1 ? h("div", { class: "candidates", role: "group", "aria-label": "Candidates" }, picks) : null,
      error ? h("div", { class: "message error", role: "alert", text: error }) : null,
      decide ? this._actions(item, { busy, disabled, chosen, index }) : null,
    ]);
  }

  _actions(item, { busy, disabled, chosen, index }) {
    const approveText = busy === "approve" ? "Approving…" : index > 0 ? `Approve as ${chosen.title}` : "Approve";
    return h("div", { class: "actions" }, [
      h("button", {
        class: "approve",
        "data-action": "approve",
        disabled: disabled || !chosen,
        text: approveText,
        onclick: () => this._act(item, "approve"),
      }),
      h("button", {
        class: "reject",
        "data-action": "reject",
        disabled,
        text: busy === "reject" ? "Rejecting…" : "Reject",
        onclick: () => this._act(item, "reject"),
      }),
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

// A copy of something Plex already has: Plex's copy and this one, side by side (issue 25).
function qualities(quality) {
  if (!quality || !quality.existing) return null;
  const side = (name, label) =>
    h("div", { class: "q-side" }, [h("span", { class: "q-name", text: name }), h("span", { text: label || "unknown" })]);
  return h("div", { class: "qualities", "aria-label": "Qualities" }, [
    side("Plex has", quality.existing),
    side(quality.better ? "This copy (better)" : "This copy", quality.new),
  ]);
}

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
