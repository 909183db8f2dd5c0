// The static site of `pedigree site` in a real headless Chromium (Debian's
// /usr/bin/chromium, driven by puppeteer-core). Run by
// tests/e2e/site_browser_test.cpp on a site it wrote from a ledger it built.
// The site is served by the tiny static file server below (node:http, files
// only, no API): browsers refuse fetch() from file:// pages, which is why a
// static host (or `python3 -m http.server`) is needed (docs/site.md).
// Environment:
//   SITE           the directory `pedigree site` wrote
//   NAI_CHILD      SHA-256 of a model whose declared path leads to NAI (C)
//   NAI_CHILD_NAME its name (C)
//   NAI_CHILD_PARENT  name of the first step on C's path to NAI after C (B)
//   AUTOV1         an AutoV1 hash a model event declares, and
//   AUTOV1_NAME    that model's name
//   ARTIFACTS      directory for the screenshots
//   CHROMIUM       the browser (default /usr/bin/chromium)
// Exit 0 when every step passed; otherwise the failing step and 1.
import puppeteer from "puppeteer-core";
import { createServer } from "node:http";
import { mkdirSync, readFile } from "node:fs";
import { join, normalize, extname } from "node:path";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error("missing environment variable " + name);
  return v;
};
const site = env("SITE");
const child = env("NAI_CHILD");
const childName = env("NAI_CHILD_NAME");
const parentName = env("NAI_CHILD_PARENT");
const autov1 = env("AUTOV1");
const autov1Name = env("AUTOV1_NAME");
const artifacts = env("ARTIFACTS");
mkdirSync(artifacts, { recursive: true });

const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".svg": "image/svg+xml" };
const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
  if (path.includes("..")) { res.writeHead(400); res.end(); return; }
  const file = join(site, path.endsWith("/") ? path + "index.html" : path);
  readFile(file, (err, data) => {
    if (err) { res.writeHead(404); res.end("not found"); return; }
    res.writeHead(200, { "Content-Type": (types[extname(file)] || "application/octet-stream") + "; charset=utf-8" });
    res.end(data);
  });
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const base = "http://127.0.0.1:" + server.address().port;

const problems = [];
const step = (name) => console.log("step: " + name);
function check(cond, what) {
  if (!cond) throw new Error("failed: " + what);
}
const click = (page, selector) =>
  page.$eval(selector, (a) => a.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true })));

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
  page.on("response", (r) => { if (r.status() >= 400) failedResponses.push(r.status() + " " + r.url()); });
  await page.setViewport({ width: 1200, height: 900 });

  step("the index is the search, with no check form (no server)");
  await page.goto(base + "/", { waitUntil: "networkidle0" });
  check(!(await page.$eval("#view-browse", (n) => n.hidden)), "the search is shown");
  check(await page.$eval("#view-check", (n) => n.hidden), "the check form is hidden");
  check(await page.$eval("#nav-check", (n) => n.hidden), "the Check link is hidden");
  await page.waitForFunction(() => document.getElementById("ledger-info").textContent.includes("valid events"));

  step("search a hash prefix and follow the result");
  await page.type("#search-input", child.slice(0, 10).toUpperCase());
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelectorAll("#search-results li").length >= 1);
  const hits = await page.$$eval("#search-results li a", (as) => as.map((a) => a.getAttribute("href")));
  check(hits.length === 1 && hits[0] === "#/model/" + child, "a SHA-256 prefix finds exactly C: " + hits.join(" "));
  await page.screenshot({ path: join(artifacts, "search-hash.png"), fullPage: true });
  await click(page, "#search-results li a");
  await page.waitForSelector("#view-model #verdict");
  check((await page.$eval("#model-name", (n) => n.textContent)) === childName, "the result opens C's page");
  check((await page.$eval("#view-model #verdict", (n) => n.getAttribute("data-verdict"))) === "nai-leak", "C's page reads nai-leak");
  check((await page.$$("#events tbody tr")).length >= 1, "C's events are listed");
  check(!/\bnull\b|undefined/.test(await page.$eval("#model-page", (n) => n.textContent)), "no stray null or undefined on the page");
  check((await page.$eval("#view-model #licence", (n) => n.getAttribute("data-commercial-use"))) === "not-allowed", "the licence consequence is shown: no commercial use");
  await page.waitForSelector("#graph g.node[data-sha256]");
  await page.screenshot({ path: join(artifacts, "model-page.png"), fullPage: true });

  step("follow the graph to a parent's page");
  const target = await page.evaluate((name) => {
    for (const g of document.querySelectorAll("#graph g.node[data-sha256]"))
      if (g.textContent.includes(name)) return g.getAttribute("data-sha256");
    return null;
  }, parentName);
  check(target, "the graph has a node named " + parentName);
  await click(page, `#graph g.node[data-sha256="${target}"]`);
  await page.waitForFunction((sha) => location.hash === "#/model/" + sha, {}, target);
  await page.waitForFunction((name) => (document.getElementById("model-name") || {}).textContent === name, {}, parentName);
  check((await page.$$("#model-page h2")).length >= 4, "the parent's page has its sections");

  step("search an AutoV1 and a name");
  await page.goto(base + "/#/browse?q=" + autov1, { waitUntil: "networkidle0" });
  await page.waitForFunction(() => document.querySelectorAll("#search-results li").length >= 1);
  const byHash = await page.$eval("#search-results", (n) => n.textContent);
  check(byHash.includes(autov1Name) && byHash.includes("autov1"), "the AutoV1 finds " + autov1Name + ": " + byHash);
  await page.goto(base + "/#/browse?q=" + parentName.toLowerCase(), { waitUntil: "networkidle0" });
  await page.waitForFunction(() => document.querySelectorAll("#search-results li").length >= 1);
  check((await page.$eval("#search-results", (n) => n.textContent)).includes("name-prefix"), "a name finds its model");
  await page.goto(base + "/#/browse?q=no-such-model-anywhere", { waitUntil: "networkidle0" });
  await page.waitForFunction(() => document.getElementById("search-status").textContent.includes("0 result"));
  await page.screenshot({ path: join(artifacts, "search-none.png"), fullPage: true });

  step("phone-width layout");
  await page.setViewport({ width: 375, height: 740, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  for (const [name, url, selector] of [["phone-search", "/#/browse?q=" + child.slice(0, 12), "#search-results li"],
                                       ["phone-model", "/#/model/" + child, "#view-model #verdict"]]) {
    await page.goto(base + url, { waitUntil: "networkidle0" });
    await page.waitForSelector(selector);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, name + ": no horizontal scrolling at 375 px (overflow " + overflow + " px)");
    await page.screenshot({ path: join(artifacts, name + ".png"), fullPage: true });
  }

  check(problems.length === 0, "no page or console errors: " + problems.join("; "));
  check(failedResponses.length === 0, "no failed requests: " + failedResponses.join("; "));
  console.log("all steps passed");
} catch (e) {
  console.error(e.message);
  if (problems.length) console.error(problems.join("\n"));
  if (failedResponses.length) console.error("responses >= 400:\n" + failedResponses.join("\n"));
  exitCode = 1;
} finally {
  await browser.close();
  server.close();
}
process.exit(exitCode);
