// Drives the review card in headless Chromium, as people would: an administrator signs in
// through Home Assistant's login page, opens the dashboard, takes screenshots (desktop and
// phone), picks another candidate and approves one file, rejects another, and waits until the
// card shows both decisions. A user who is not an administrator signs in too and gets the queue
// read-only. A third page signs in with a refresh token whose access tokens live seconds: live
// updates go on once its token has expired. Videodrome is unloaded a while (the test disables
// its entry at "ready for unload"): the card must try again by itself and come back. After Home
// Assistant restarts (the test restarts it at "ready for restart") the third page must fetch a
// new token before it reconnects; every card must come back by itself, without a reload. Run by tests/e2e/test_review_card.py,
// which starts Home Assistant and checks the files on disk afterwards.
//
// Settings come from the environment:
//   HA_URL, HA_USERNAME, HA_PASSWORD   where Home Assistant runs, and the administrator
//   VIEWER_USERNAME, VIEWER_PASSWORD   a user who is not an administrator
//   SHORT_REFRESH_TOKEN, SHORT_SECONDS the administrator's refresh token whose access tokens
//                                      live SHORT_SECONDS (a secret: never printed)
//   DASHBOARD                          the dashboard path to open (e.g. /lovelace/review)
//   APPROVE_FILE, APPROVE_TMDB_ID      the tile to approve, with the candidate to pick first
//   REJECT_FILE                        the tile to reject
//   REASON, REASON_WORDS               a reason code of APPROVE_FILE's tile, and its phrase
//   RECENT_TITLE                       a title the "last ingests" list must show at the end
//   LIVE_FILE                          a file the test drops at "ready for ..." (no reload)
//   RESTART_FILE                       a file the test drops once Home Assistant is back
//   ARTIFACTS                          where the screenshots go
//   CHROMIUM                           the browser (default /usr/bin/chromium)
//   TIMEOUT_MS                         how long to wait for any one thing (default 120000)
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

import {
  ARTIFACTS,
  CARD,
  TIMEOUT,
  accessToken,
  env,
  message,
  openDashboard,
  postersLoaded,
  screenshot,
  signIn,
  signedInState,
  sleep,
  step,
  tile,
  tokenStatus,
  watch,
} from "./card_page.mjs";

mkdirSync(ARTIFACTS, { recursive: true });
const READ_ONLY = "Only administrators can approve or reject.";
const OFFLINE = "Reconnecting to Home Assistant";
const pages = []; // every page opened, for a screenshot of each when something fails

async function checkRegistration(page) {
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
}

/* The reasons are words from Videodrome's translations; each code stays in its tooltip. */
async function checkReasonWords(page, file) {
  const chip = tile(page, file).locator(`.chip[data-reason="${env("REASON")}"]`);
  await chip.filter({ hasText: env("REASON_WORDS") }).waitFor();
  const tooltip = await chip.getAttribute("title");
  if (tooltip !== env("REASON")) throw new Error(`the chip's tooltip is ${tooltip}, not the code`);
  const shown = await page.locator(`${CARD} .chip`).allTextContents();
  if (!shown.length || shown.some((text) => /_/.test(text))) throw new Error(`a reason shown as a code: ${shown}`);
}

async function count(locator, expected, what) {
  const found = await locator.count();
  if (found !== expected) throw new Error(`${what}: ${found}, expected ${expected}`);
}

/* A user who is not an administrator sees the queue, its candidates, and no button. */
async function checkViewer(browser, files) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, colorScheme: "light" });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  await watch(page, pages, "viewer");
  await signIn(page, env("VIEWER_USERNAME"), env("VIEWER_PASSWORD"));
  for (const file of files) await tile(page, file).waitFor();
  await checkReasonWords(page, files[0]);
  await message(page, READ_ONLY).waitFor();
  const listed = await page.locator(`${CARD} article.tile div.candidate`).count();
  if (listed < files.length * 2) throw new Error(`the viewer sees ${listed} candidates`);
  await count(page.locator(`${CARD} button`), 0, "buttons in the viewer's card");
  await postersLoaded(page);
  await screenshot(page, "viewer-queue.png");
  await context.close();
  pages.splice(pages.indexOf(page), 1);
}

/* Waits until Home Assistant refuses the access token `page` holds (it has expired). */
async function untilTokenRefused(page) {
  const deadline = Date.now() + (Number(env("SHORT_SECONDS")) + 60) * 1000;
  while (Date.now() < deadline) {
    if ((await tokenStatus(await accessToken(page))) === 401) return;
    await sleep(1000);
  }
  throw new Error("the short-lived access token was still accepted after its lifetime");
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
    const admin = await watch(page, pages, "admin");

    step("signing in through the login page");
    await signIn(page, env("HA_USERNAME"), env("HA_PASSWORD"));

    step("a second page, signed in with short-lived access tokens");
    const shortContext = await browser.newContext({ storageState: signedInState(env("SHORT_REFRESH_TOKEN")) });
    shortContext.setDefaultTimeout(TIMEOUT);
    const shortPage = await shortContext.newPage();
    const short = await watch(shortPage, pages, "short-lived tokens");
    await openDashboard(shortPage);

    step("checking the card's registration and its configuration errors");
    await checkRegistration(page);

    const approveFile = env("APPROVE_FILE");
    const rejectFile = env("REJECT_FILE");
    step("waiting for the queue tiles and their posters");
    await tile(page, approveFile).waitFor();
    await tile(page, rejectFile).waitFor();
    // Plex already has a Dune: Plex's copy's quality and this one's, side by side (issue 25).
    await tile(page, approveFile).locator("div.qualities").waitFor();
    await page.locator(`${CARD} li.recent-item`).first().waitFor();
    await postersLoaded(page);
    step("the reasons in words, the codes in their tooltips");
    await checkReasonWords(page, approveFile);
    await page.screenshot({ path: join(ARTIFACTS, "desktop-queue.png"), fullPage: true });
    await page.locator(`${CARD} ha-card`).screenshot({ path: join(ARTIFACTS, "review-card.png") });
    await count(message(page, READ_ONLY), 0, "read-only notes shown to the administrator");

    step("a user who is not an administrator gets the queue read-only");
    await checkViewer(browser, [approveFile, rejectFile]);

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
    await message(page, "Nothing waits for review").waitFor();
    await page.locator(`${CARD} li.recent-item`, { hasText: env("RECENT_TITLE") }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "desktop-after.png"), fullPage: true });

    step("waiting until Home Assistant refuses the short-lived page's access token");
    await message(shortPage, "Nothing waits for review").waitFor();
    await short.mark();
    await untilTokenRefused(shortPage);

    // Live: the test drops another file when it reads this line; its tile must appear
    // without a reload, also on the page whose access token has expired (its socket stays).
    const live = env("LIVE_FILE");
    step(`ready for ${live}`);
    for (const open of [page, shortPage]) await tile(open, live).waitFor();
    await page.locator(`${CARD} .count`, { hasText: "1" }).waitFor();
    if (short.seen.closed || !(await short.samePage())) throw new Error(`the short-lived page reconnected or reloaded: ${JSON.stringify(short.seen)}`);
    await page.screenshot({ path: join(ARTIFACTS, "desktop-live.png"), fullPage: true });

    // Videodrome unloaded a while (the test disables its entry at this line, then enables it):
    // the card says so, keeps the queue, tries again by itself, and comes back once it loads.
    await admin.mark();
    step("ready for unload");
    await page.locator(`${CARD} .message.error`).waitFor();
    await tile(page, live).waitFor();
    await page.locator(`${CARD} .message.error`).waitFor({ state: "detached" });
    await tile(page, live).waitFor();
    if (!(await admin.samePage())) throw new Error("the page reloaded while Videodrome was unloaded");

    // Restart: the test stops Home Assistant when it reads this line, starts it again and
    // drops another file. While it is away the cards keep the queue and cannot act; then they
    // come back by themselves, the short-lived page after fetching a new access token.
    const expired = await accessToken(shortPage);
    await admin.mark();
    await short.mark();
    step("ready for restart");
    await message(page, OFFLINE).waitFor();
    if (!(await tile(page, live).locator('button[data-action="approve"]').isDisabled())) throw new Error("Approve works while Home Assistant is away");
    await page.screenshot({ path: join(ARTIFACTS, "desktop-offline.png"), fullPage: true });
    const restarted = env("RESTART_FILE");
    for (const open of [page, shortPage]) {
      await tile(open, restarted).waitFor();
      await message(open, OFFLINE).waitFor({ state: "detached" });
      await open.locator(`${CARD} .count`, { hasText: "2" }).waitFor();
    }
    for (const [name, open, seen] of [["admin", page, admin], ["short-lived", shortPage, short]]) {
      if (!(await seen.samePage()) || seen.seen.loads) throw new Error(`the ${name} page reloaded: ${JSON.stringify(seen.seen)}`);
      if (!seen.seen.closed || seen.seen.sockets < 1) throw new Error(`the ${name} page never reconnected: ${JSON.stringify(seen.seen)}`);
      await count(open.locator(`${CARD} .message.error`), 0, `errors on the ${name} page`);
    }
    if (short.seen.refreshes < 1 || (await accessToken(shortPage)) === expired) {
      throw new Error(`the short-lived page reconnected without a new access token: ${JSON.stringify(short.seen)}`);
    }
    step(`reconnected: admin ${JSON.stringify(admin.seen)}, short-lived ${JSON.stringify(short.seen)}`);
    await page.screenshot({ path: join(ARTIFACTS, "desktop-restarted.png"), fullPage: true });
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
