// The web page of `pedigree serve` in a real headless Chromium (Debian's
// /usr/bin/chromium, driven by puppeteer-core; no browser is downloaded).
// Run by tests/e2e/serve_browser_test.cpp against a server it started on a
// ledger it built. Environment:
//   PEDIGREE_URL   http://127.0.0.1:PORT
//   NAI_CHILD      SHA-256 of a model whose declared path leads to NAI (C)
//   NAI_CHILD_PARENT  name of the first step on C's path to NAI after C (B)
//   PICTURE        a PNG whose A1111 parameters name C
//   ARTIFACTS      directory for the screenshots
//   CHROMIUM       the browser (default /usr/bin/chromium)
// Exit 0 when every step passed; otherwise the failing step and 1.
import puppeteer from "puppeteer-core";
import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error("missing environment variable " + name);
  return v;
};
const base = env("PEDIGREE_URL");
const child = env("NAI_CHILD");
const parentName = env("NAI_CHILD_PARENT");
const picture = env("PICTURE");
const artifacts = env("ARTIFACTS");
mkdirSync(artifacts, { recursive: true });

const problems = [];
const step = (name) => console.log("step: " + name);
function check(cond, what) {
  if (!cond) throw new Error("failed: " + what);
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
});
let exitCode = 0;
const failedResponses = [];
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(30000);
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("console", (m) => { if (m.type() === "error") problems.push("console error: " + m.text()); });
  // Which request failed, so a console "404" names its URL.
  page.on("response", (r) => { if (r.status() >= 400) failedResponses.push(r.status() + " " + r.url()); });
  await page.setViewport({ width: 1200, height: 900 });
  const verdictOf = () => page.$eval("#verdict", (n) => n.getAttribute("data-verdict"));

  step("paste a hash");
  await page.goto(base + "/", { waitUntil: "networkidle0" });
  await page.type("#check-input", child);
  await page.$eval("#check-button", (a) => a.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true })));
  await page.waitForSelector("#verdict");
  check((await verdictOf()) === "nai-leak", "a pasted hash of C reads nai-leak");
  check((await page.$$("#evidence tbody tr")).length > 0, "evidence is listed");
  check((await page.$$(".path a")).length >= 2, "the path to NAI is drawn with links");
  const firstText = await page.$eval("#check-result", (n) => n.firstElementChild.firstElementChild.id);
  check(firstText === "verdict", "the verdict comes first");
  await page.waitForSelector("#graph g.node[data-sha256]");
  await page.screenshot({ path: join(artifacts, "check-hash.png"), fullPage: true });

  step("follow a path in the graph");
  const target = await page.evaluate((name) => {
    for (const g of document.querySelectorAll("#graph g.node[data-sha256]"))
      if (g.textContent.includes(name)) return g.getAttribute("data-sha256");
    return null;
  }, parentName);
  check(target, "the graph has a node named " + parentName);
  await page.$eval(`#graph g.node[data-sha256="${target}"]`, (a) => a.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true })));
  await page.waitForFunction((sha) => location.hash === "#/model/" + sha, {}, target);
  await page.waitForSelector("#model-name");
  check((await page.$eval("#model-name", (n) => n.textContent)) === parentName, "the graph node opens its model page");
  check((await page.$$("#events tbody tr")).length >= 1, "the model page lists its events");
  await page.waitForSelector("#view-model #verdict");
  await page.screenshot({ path: join(artifacts, "model-page.png"), fullPage: true });

  step("follow a step of the path to NAI");
  await page.goto(base + "/#/check?q=" + child, { waitUntil: "networkidle0" });
  await page.waitForSelector(".path a");
  const links = await page.$$eval(".path a", (as) => as.map((a) => [a.textContent, a.getAttribute("href")]));
  const last = links[links.length - 1];
  await page.$eval(`.path a[href="${last[1]}"]`, (a) => a.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true })));
  await page.waitForSelector("#model-name");
  check((await page.$eval("#model-name", (n) => n.textContent)) === last[0], "a path step opens the NAI reference's page");

  step("drop a PNG with parameters");
  await page.goto(base + "/", { waitUntil: "networkidle0" });
  const png = readFileSync(picture).toString("base64");
  await page.evaluate((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], "a1111.png", { type: "image/png" }));
    const drop = document.getElementById("drop");
    drop.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    drop.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, png);
  await page.waitForSelector("#verdict");
  check((await verdictOf()) === "nai-leak", "the dropped picture reads nai-leak (it names C)");
  check((await page.$eval("#check-result", (n) => n.textContent)).includes("Picture"), "the picture's models are listed");
  await page.screenshot({ path: join(artifacts, "drop-png.png"), fullPage: true });

  step("unknown shows its reasons");
  await page.goto(base + "/#/check?q=no-such-model-anywhere", { waitUntil: "networkidle0" });
  await page.waitForSelector("#verdict");
  check((await verdictOf()) === "unknown", "an unknown name reads unknown");
  check((await page.$$("#unknown-reasons li")).length >= 1, "unknown lists its reasons");
  await page.screenshot({ path: join(artifacts, "unknown.png"), fullPage: true });

  step("browse the ledger");
  await page.goto(base + "/#/browse", { waitUntil: "networkidle0" });
  await page.type("#search-input", "sd");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelectorAll("#search-results li").length >= 2);
  await page.screenshot({ path: join(artifacts, "browse.png"), fullPage: true });

  step("phone-width layout");
  await page.setViewport({ width: 375, height: 740, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  for (const [name, url] of [["phone-check", "/#/check?q=" + child], ["phone-model", "/#/model/" + child]]) {
    await page.goto(base + url, { waitUntil: "networkidle0" });
    await page.waitForSelector(name === "phone-check" ? "#view-check #verdict" : "#view-model #verdict");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, name + ": no horizontal scrolling at 375 px (overflow " + overflow + " px)");
    await page.screenshot({ path: join(artifacts, name + ".png"), fullPage: true });
  }
  await page.goto(base + "/", { waitUntil: "networkidle0" });
  const stacked = await page.evaluate(() => {
    const i = document.getElementById("check-input").getBoundingClientRect();
    const b = document.getElementById("check-button").getBoundingClientRect();
    return b.top >= i.bottom && i.width > 250;
  });
  check(stacked, "at phone width the input spans the screen and the button sits below it");

  check(problems.length === 0, "no page or console errors: " + problems.join("; "));
  console.log("all steps passed");
} catch (e) {
  console.error(e.message);
  if (problems.length) console.error(problems.join("\n"));
  if (failedResponses.length) console.error("responses >= 400:\n" + failedResponses.join("\n"));
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);
