// Drives the review card in headless Chromium, as a person would: signs in through Home
// Assistant's login page, opens the dashboard, takes screenshots (desktop and phone), picks
// another candidate and approves one file, rejects another, and waits until the card shows
// both decisions. Run by tests/e2e/test_review_card.py, which starts Home Assistant and checks
// the files on disk afterwards.
//
// Settings come from the environment:
//   HA_URL, HA_USERNAME, HA_PASSWORD   where Home Assistant runs, and who signs in
//   DASHBOARD                          the dashboard path to open (e.g. /lovelace/review)
//   APPROVE_FILE, APPROVE_TMDB_ID      the tile to approve, with the candidate to pick first
//   REJECT_FILE                        the tile to reject
//   RECENT_TITLE                       a title the "last ingests" list must show at the end
//   LIVE_FILE                          a file the test drops at "ready for ..." (no reload)
//   ARTIFACTS                          where the screenshots go
//   CHROMIUM                           the browser (default /usr/bin/chromium)
//   TIMEOUT_MS                         how long to wait for any one thing (default 120000)
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const HA_URL = env("HA_URL");
const ARTIFACTS = env("ARTIFACTS");
const TIMEOUT = Number(env("TIMEOUT_MS", "120000"));
const CARD = "videodrome-review-card";
mkdirSync(ARTIFACTS, { recursive: true });

const step = (text) => console.log(`e2e: ${text}`);
const pages = []; // every page opened, for a screenshot of each when something fails

// Playwright's CSS engine pierces open shadow roots, so these reach inside the card.
const tile = (page, file) => page.locator(`${CARD} article.tile`).filter({ has: page.locator(`.file`, { hasText: file }) });

async function postersLoaded(page) {
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

async function openDashboard(page) {
  await page.goto(`${HA_URL}${env("DASHBOARD")}`);
  await page.locator(`${CARD} ha-card`).waitFor({ timeout: TIMEOUT });
}

async function main() {
  const browser = await chromium.launch({
    executablePath: env("CHROMIUM", "/usr/bin/chromium"),
    // Root in a container: Chromium's sandbox needs user namespaces it may not get.
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
    timeout: TIMEOUT,
  });
  try {
    const desktop = await browser.newContext({ viewport: { width: 1100, height: 900 }, colorScheme: "light" });
    desktop.setDefaultTimeout(TIMEOUT);
    const page = await desktop.newPage();
    pages.push(page);
    page.on("pageerror", (err) => console.log(`e2e: page error: ${err.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error") console.log(`e2e: console error: ${msg.text()}`);
    });

    step("signing in through the login page");
    await page.goto(`${HA_URL}${env("DASHBOARD")}`);
    await page.locator('input[name="username"]').fill(env("HA_USERNAME"));
    await page.locator('input[name="password"]').fill(env("HA_PASSWORD"));
    await page.locator('input[name="password"]').press("Enter");
    await page.waitForURL((url) => url.pathname === env("DASHBOARD"), { timeout: TIMEOUT });
    await page.locator(`${CARD} ha-card`).waitFor();

    step("checking the card's registration and its configuration errors");
    const checks = await page.evaluate((tag) => {
      const Card = customElements.get(tag);
      const errors = [{ max_items: 0 }, { recent: "many" }, { entity: "light.kitchen" }, { colour: "red" }, { title: 5 }].map((config) => {
        try {
          new Card().setConfig({ type: `custom:${tag}`, ...config });
          return null;
        } catch (err) {
          return err.message;
        }
      });
      const fine = { title: "x", entity: "sensor.demo_review_queue", max_items: 100, recent: 0, card_mod: {}, grid_options: {} };
      let accepted;
      try {
        new Card().setConfig({ type: `custom:${tag}`, ...fine });
        accepted = true;
      } catch (err) {
        accepted = err.message;
      }
      const picker = (window.customCards || []).filter((c) => c.type === tag).length;
      return { errors, accepted, picker, stub: Card.getStubConfig(), size: new Card().getCardSize() };
    }, CARD);
    const expected = ["max_items must be", "recent must be", "entity must be a sensor", "Unknown option(s): colour", "title must be text"];
    expected.forEach((start, i) => {
      if (!checks.errors[i] || !checks.errors[i].startsWith(start)) throw new Error(`setConfig error ${i}: ${checks.errors[i]}`);
    });
    if (checks.accepted !== true) throw new Error(`a valid configuration was refused: ${checks.accepted}`);
    if (checks.picker !== 1) throw new Error(`the card is listed ${checks.picker} times in the card picker`);
    if (checks.stub.title !== "Videodrome review" || !(checks.size > 0)) throw new Error(`stub/size: ${JSON.stringify(checks)}`);

    const approveFile = env("APPROVE_FILE");
    const rejectFile = env("REJECT_FILE");
    step("waiting for the queue tiles and their posters");
    await tile(page, approveFile).waitFor();
    await tile(page, rejectFile).waitFor();
    await page.locator(`${CARD} li.recent-item`).first().waitFor();
    await postersLoaded(page);
    await page.screenshot({ path: join(ARTIFACTS, "desktop-queue.png"), fullPage: true });
    await page.locator(`${CARD} ha-card`).screenshot({ path: join(ARTIFACTS, "review-card.png") });

    step("the same dashboard on a phone, in dark mode (Home Assistant's theme follows the system)");
    const phone = await browser.newContext({
      storageState: await desktop.storageState(), // signed in already (tokens in localStorage)
      colorScheme: "dark",
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    phone.setDefaultTimeout(TIMEOUT);
    const mobile = await phone.newPage();
    pages.push(mobile);
    await openDashboard(mobile);
    await tile(mobile, approveFile).waitFor();
    await postersLoaded(mobile);
    const width = await mobile.locator(`${CARD} article.tile`).first().evaluate((el) => el.getBoundingClientRect().width);
    if (width > 390) throw new Error(`a tile is ${width}px wide on a 390px phone screen`);
    const background = await mobile.locator(`${CARD} ha-card`).evaluate((el) => getComputedStyle(el).backgroundColor);
    const [r, g, b] = background.match(/\d+/g).map(Number);
    if (r + g + b > 3 * 128) throw new Error(`the card is light (${background}) in a dark theme`);
    await mobile.screenshot({ path: join(ARTIFACTS, "phone-queue.png"), fullPage: true });
    await phone.close();
    pages.pop();

    step(`picking candidate ${env("APPROVE_TMDB_ID")} for ${approveFile} and approving it`);
    const approving = tile(page, approveFile);
    await approving.locator(`button[data-candidate="${env("APPROVE_TMDB_ID")}"]`).click();
    await approving.locator(`button[data-candidate="${env("APPROVE_TMDB_ID")}"][aria-pressed="true"]`).waitFor();
    await approving.locator('button[data-action="approve"]').click();
    await approving.waitFor({ state: "detached" });

    step(`rejecting ${rejectFile}`);
    await tile(page, rejectFile).locator('button[data-action="reject"]').click();
    await tile(page, rejectFile).waitFor({ state: "detached" });

    step("waiting for the card to show the outcome");
    await page.locator(`${CARD} .message.empty`, { hasText: "Nothing waits for review" }).waitFor();
    await page.locator(`${CARD} li.recent-item`, { hasText: env("RECENT_TITLE") }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "desktop-after.png"), fullPage: true });

    // Live: the test drops another file when it reads this line; its tile must appear
    // without a reload.
    step(`ready for ${env("LIVE_FILE")}`);
    await tile(page, env("LIVE_FILE")).waitFor();
    await page.locator(`${CARD} .count`, { hasText: "1" }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "desktop-live.png"), fullPage: true });
    step("done");
  } catch (err) {
    for (const [index, open] of pages.entries()) {
      if (open.isClosed()) continue;
      step(`failed on ${open.url()}: screenshot failure-${index}.png`);
      await open.screenshot({ path: join(ARTIFACTS, `failure-${index}.png`), fullPage: true }).catch(() => {});
    }
    throw err;
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error(`e2e: FAILED: ${err.stack || err}`);
  process.exit(1);
});
