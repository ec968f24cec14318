// Why a file waits for review, in words: the phrases are Videodrome's own translations
// (strings.json, selector "review_reason"), which Home Assistant's frontend loads in the user's
// language (hass.loadBackendTranslation). The card shows the phrase and keeps the code in the
// chip's tooltip. A code without a phrase (a newer engine, or before the phrases arrive) is
// shown readable: "some_code" as "Some code".
import { DOMAIN } from "./config.js";

const KEY = `component.${DOMAIN}.selector.review_reason.options.`;

/* The frontend's localize with Videodrome's phrases loaded, or null where it cannot load them. */
export async function loadReasonPhrases(hass) {
  if (!hass || typeof hass.loadBackendTranslation !== "function") return null;
  try {
    return await hass.loadBackendTranslation("selector", DOMAIN);
  } catch (err) {
    return null; // the codes, made readable, stand in
  }
}

/* The phrase for `code`, in the user's language. */
export function reasonPhrase(localize, code) {
  const phrase = typeof localize === "function" ? localize(`${KEY}${code}`) : "";
  if (phrase) return phrase;
  const words = String(code).replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
