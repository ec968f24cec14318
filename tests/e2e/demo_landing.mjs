// The demo as a newcomer meets it: open Home Assistant's address, sign in as demo / demo, and
// land on the Videodrome dashboard (not Home Assistant's generic overview) with the review card,
// the server's sensors and the watcher's controls. Run by tests/e2e/test_demo.py, which starts
// scripts/develop on free ports.
//
//   HA_URL, HA_USERNAME, HA_PASSWORD   where Home Assistant runs, and the demo user
//   LANDING                            the dashboard path expected after signing in
//   ARTIFACTS, CHROMIUM, TIMEOUT_MS    as for review_card.mjs
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

import { ARTIFACTS, CARD, HA_URL, TIMEOUT, env, screenshot, step } from "./card_page.mjs";

mkdirSync(ARTIFACTS, { recursive: true });

async function main() {
  const browser = await chromium.launch({
    executablePath: env("CHROMIUM", "/usr/bin/chromium"),
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
    timeout: TIMEOUT,
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  try {
    step("opening Home Assistant's address and signing in");
    await page.goto(`${HA_URL}/`);
    await page.locator('input[name="username"]').fill(env("HA_USERNAME"));
    await page.locator('input[name="password"]').fill(env("HA_PASSWORD"));
    await page.locator('input[name="password"]').press("Enter");
    step("landing on the Videodrome dashboard");
    await page.waitForURL((url) => url.pathname.startsWith(env("LANDING")), { timeout: TIMEOUT });
    await page.locator(`${CARD} ha-card`).waitFor();
    for (const title of ["Plex server and libraries", "Ingest", "Watcher"]) {
      await page.locator("hui-entities-card", { hasText: title }).first().waitFor();
    }
    await page.locator("hui-entities-card", { hasText: "Watch ingest folders" }).waitFor();
    await page.locator("hui-entities-card", { hasText: "Look through the ingest folders now" }).waitFor();
    await screenshot(page, "demo-landing.png");
    step(`landed on ${new URL(page.url()).pathname}`);
  } catch (err) {
    await page.screenshot({ path: `${ARTIFACTS}/demo-landing-failure.png`, fullPage: true }).catch(() => {});
    throw err;
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error(`e2e: FAILED: ${err.stack || err}`);
  process.exit(1);
});
