// Browser test of gauntlet's web view: Debian's chromium (headless) driven by playwright-core.
//   node view_test.mjs --url URL [--live] --direction D --layer L --rule R
//                      [--text T] --screenshot FILE
// Loads the page; with --live, checks that the counts change while traffic runs; switches to
// egress and back; selects the first stopped packet of direction D stopped by layer L and
// checks that its decision chain ends at L with rule R, and that the diagram highlights L;
// with --text, checks that T (a string that came from traffic, such as "<script>") shows as
// text and that no markup from traffic ran.
import { chromium } from "playwright-core";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith("--") ? all[i + 1] : true]);
    return acc;
  }, []));

function fail(message) {
  console.error("web view: FAIL: " + message);
  process.exitCode = 1;
  throw new Error(message);
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(args.url);
  await page.waitForSelector("#layers li[data-layer=firewall]", { timeout: 10000 });

  const passedAt = async (layer) => {
    const text = await page.textContent(`#layers li[data-layer=${layer}] .passed`);
    return Number((text || "").replace(/[^0-9.]/g, "")) * (/k/.test(text) ? 1e3 : /M/.test(text) ? 1e6 : 1);
  };
  if (args.live) {
    const before = await passedAt("forward");
    await page.waitForTimeout(2500);
    const after = await passedAt("forward");
    if (!(after > before)) fail(`live counts did not change (forward passed ${before} then ${after})`);
    const rate = await page.textContent("#layers li[data-layer=forward] .rate");
    if (!rate || !/\/s passed/.test(rate)) fail("no per-second rate shown");
    console.log(`web view: live counts move (forward ${before} -> ${after}; ${rate})`);
  }

  await page.click("#show-egress");
  await page.waitForSelector("#layers li[data-layer=allowlist]");
  if (await page.$("#layers li[data-layer=firewall]")) fail("egress still shows the firewall");
  await page.click(`#show-${args.direction}`);
  await page.waitForSelector(`#layers li[data-layer=${args.layer}]`);

  // Live, the table is redrawn every second: find a row, then click it by its number.
  const seq = await page.evaluate(({ layer, rule }) => {
    for (const row of document.querySelectorAll("#stopped tbody tr[data-seq]")) {
      const cells = [...row.querySelectorAll("td")].map((td) => td.textContent);
      if (cells[2] === layer && (!rule || cells[4].includes(rule))) return row.dataset.seq;
    }
    return null;
  }, { layer: args.layer, rule: args.rule === true ? "" : args.rule });
  if (!seq) fail(`no stopped ${args.direction} packet from layer ${args.layer} rule ${args.rule}`);
  await page.locator(`#stopped tbody tr[data-seq="${seq}"]`).first().click();
  await page.waitForSelector("#chain:not([hidden]) li.stop");
  const last = await page.textContent("#chain li.stop");
  if (!last.includes(args.layer === "waf" ? "WAF" : args.layer) || (args.rule && !(await page.textContent("#chain")).includes(args.rule)))
    fail(`the decision chain does not end at ${args.layer} / ${args.rule}: "${last}"`);
  const highlighted = await page.getAttribute(`#layers li[data-layer=${args.layer}]`, "class");
  if (!highlighted.includes("hit-stop")) fail(`the diagram does not highlight ${args.layer}`);
  console.log(`web view: chain of the selected packet ends at "${last.trim()}"`);

  if (args.text) {
    const chain = await page.textContent("#chain");
    if (!chain.includes(args.text)) fail(`"${args.text}" is not shown as text`);
    const injected = await page.evaluate(() => window.__gauntlet_xss === true ||
      document.querySelectorAll("script").length !== 2 || document.querySelectorAll("#chain img, #chain script").length !== 0);
    if (injected) fail("markup from traffic was interpreted");
    console.log(`web view: "${args.text}" from traffic is shown as text, not run`);
  }
  if (errors.length) fail("page errors: " + errors.join("; "));
  await page.screenshot({ path: args.screenshot, fullPage: true });
  console.log(`web view: screenshot ${args.screenshot}`);
} finally {
  await browser.close();
}
