// The review card's options: what a dashboard may set, their checks, and the visual editor's form.

export const DOMAIN = "videodrome";
export const DEFAULTS = { max_items: 20, recent: 5 };
// The card's options, and the keys Home Assistant's dashboards (and card-mod) add to any card.
const KNOWN_KEYS = ["type", "title", "entity", "max_items", "recent"];
const GENERIC_KEYS = ["view_layout", "layout_options", "grid_options", "visibility", "card_mod"];

function validateCount(config, key, max) {
  if (config[key] === undefined) return DEFAULTS[key];
  const value = Number(config[key]);
  const min = key === "recent" ? 0 : 1;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${key} must be a whole number from ${min} to ${max} (got ${JSON.stringify(config[key])})`);
  }
  return value;
}

/* The options of a card's configuration, checked, with the defaults filled in. */
export function parseConfig(config) {
  if (!config || typeof config !== "object") throw new Error("Invalid configuration");
  const unknown = Object.keys(config).filter((key) => !KNOWN_KEYS.includes(key) && !GENERIC_KEYS.includes(key));
  if (unknown.length) {
    throw new Error(`Unknown option(s): ${unknown.join(", ")} (the card knows ${KNOWN_KEYS.slice(1).join(", ")})`);
  }
  if (config.title !== undefined && typeof config.title !== "string") throw new Error("title must be text");
  if (config.entity !== undefined && !/^sensor\.[a-z0-9_]+$/.test(String(config.entity))) {
    throw new Error(`entity must be a sensor of Videodrome, like sensor.videodrome_review_queue (got ${JSON.stringify(config.entity)})`);
  }
  return {
    title: config.title ?? "Videodrome review",
    entity: config.entity,
    max_items: validateCount(config, "max_items", 100),
    recent: validateCount(config, "recent", 50),
  };
}

export function configForm() {
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
