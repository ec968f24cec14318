// What review_card.mjs does with a page of Home Assistant's frontend: sign in, open the
// dashboard, find the card and its tiles, and watch the page's connection (reloads, websockets,
// token refreshes) so that the scenario can tell "recovered by itself" from "reloaded".
import { join } from "node:path";

export const CARD = "videodrome-review-card";

export const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
export const HA_URL = env("HA_URL");
export const ARTIFACTS = env("ARTIFACTS");
export const TIMEOUT = Number(env("TIMEOUT_MS", "120000"));

export const step = (text) => console.log(`e2e: ${text}`);
const UNHANDLED = "unhandled rejection: ";
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Playwright's CSS engine pierces open shadow roots, so these reach inside the card.
export const tile = (page, file) =>
  page.locator(`${CARD} article.tile`).filter({ has: page.locator(`.file`, { hasText: file }) });
export const message = (page, text) => page.locator(`${CARD} .message`, { hasText: text });

export async function postersLoaded(page) {
  // Every poster in the card has arrived and decoded (the emulator draws them).
  await page.waitForFunction(
    (card) => {
      const find = (root) => {
        for (const el of root.querySelectorAll("*")) {
          if (el.tagName.toLowerCase() === card) return el;
          if (el.shadowRoot) {
            const found = find(el.shadowRoot);
            if (found) return found;
          }
        }
        return null;
      };
      const el = find(document);
      if (!el || !el.shadowRoot) return false;
      const images = [...el.shadowRoot.querySelectorAll("img")];
      return images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0);
    },
    CARD,
    { timeout: TIMEOUT, polling: 200 },
  );
}

export async function openDashboard(page) {
  await page.goto(`${HA_URL}${env("DASHBOARD")}`);
  await page.locator(`${CARD} ha-card`).waitFor({ timeout: TIMEOUT });
}

/* Sign in through Home Assistant's login page, which then opens the dashboard. */
export async function signIn(page, username, password) {
  await page.goto(`${HA_URL}${env("DASHBOARD")}`);
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('input[name="password"]').press("Enter");
  await page.waitForURL((url) => url.pathname === env("DASHBOARD"), { timeout: TIMEOUT });
  await page.locator(`${CARD} ha-card`).waitFor({ timeout: TIMEOUT });
}

/*
 * Signed in with a refresh token only (the way the frontend keeps it in localStorage after
 * "keep me signed in"): the frontend must fetch an access token before it connects.
 */
export function signedInState(refreshToken) {
  const tokens = {
    hassUrl: HA_URL,
    clientId: `${HA_URL}/`,
    refresh_token: refreshToken,
    access_token: "",
    token_type: "Bearer",
    expires_in: 0,
    expires: 0, // expired: the frontend refreshes first
  };
  return { cookies: [], origins: [{ origin: HA_URL, localStorage: [{ name: "hassTokens", value: JSON.stringify(tokens) }] }] };
}

/* Counts what happens to a page's connection; `mark()` starts a new count. */
export async function watch(page, pages, name) {
  const seen = { loads: 0, sockets: 0, closed: 0, refreshes: 0 };
  pages.push(page);
  page.on("pageerror", (err) => console.log(`e2e: ${name}: page error: ${err.message}`));
  page.on("console", (msg) => {
    const text = msg.text();
    const said = msg.type() === "error" || text.startsWith(UNHANDLED);
    if (said && !text.includes("ERR_CONNECTION_REFUSED")) console.log(`e2e: ${name}: console ${msg.type()}: ${text}`);
  });
  // A rejected promise nobody handles shows up as "page error: Object": say what it was.
  await page.addInitScript((prefix) => {
    window.addEventListener("unhandledrejection", (event) => {
      let reason;
      try {
        reason = JSON.stringify(event.reason);
      } catch {
        reason = String(event.reason);
      }
      console.warn(`${prefix}${reason}`);
    });
  }, UNHANDLED);
  page.on("load", () => (seen.loads += 1));
  page.on("websocket", (socket) => {
    seen.sockets += 1;
    socket.on("close", () => (seen.closed += 1));
  });
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === "/auth/token") seen.refreshes += 1;
  });
  return {
    seen,
    mark: async () => {
      for (const key of Object.keys(seen)) seen[key] = 0;
      // Gone after a reload: the page recovered by itself only while this is still there.
      await page.evaluate(() => (window.__videodromeE2e = "same page"));
    },
    samePage: () => page.evaluate(() => window.__videodromeE2e === "same page"),
  };
}

/* The access token the frontend holds (never printed: it is a secret). */
export const accessToken = (page) => page.evaluate(() => document.querySelector("home-assistant").hass.auth.accessToken);

/* Home Assistant's answer to a REST call with `token`: 200 while valid, 401 once refused. */
export async function tokenStatus(token) {
  const response = await fetch(`${HA_URL}/api/`, { headers: { Authorization: `Bearer ${token}` } });
  return response.status;
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
}
