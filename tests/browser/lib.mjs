// Shared helpers of the browser tests: headless Chromium (Debian's package,
// driven by playwright-core, which downloads no browser of its own) against a
// running platform. tests/browser.sh starts the platform with the five mock
// departments and runs every *.test.mjs here with `node --test`.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** Base URL of the platform under test. */
export const BASE = (process.env.ONEWINDOW_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');

/** Folder the screenshots go to (created on import). */
export const SCREENSHOTS = path.resolve(
  process.env.SCREENSHOT_DIR || path.join(REPO, 'target', 'browser', 'screenshots'),
);
mkdirSync(SCREENSHOTS, { recursive: true });

/** Demo accounts of examples/onewindow.toml: [account, password]. */
export const CLERK = ['窗口一号 王芳', 'demo-clerk-token-0001'];
export const OPERATOR = ['县数据局运维 陈建国', 'demo-operator-token-0001'];

/** Launches headless Chromium ($CHROMIUM, or /usr/bin/chromium). */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

/** The two screens the pages are tested at: a desktop, and a phone (390×844). */
export const DESKTOP = { width: 1366, height: 768 };
export const PHONE = { width: 390, height: 844 };

/**
 * A page in a fresh context (own cookies), 1366×768 unless `viewport` says
 * otherwise, zh-CN, Asia/Shanghai.
 * `page.problems` collects, as strings, what should never happen in a healthy
 * page: uncaught script errors, console errors, failed requests and answers
 * with status >= 500. Tests end with `assert.deepEqual(page.problems, [])`.
 * Not counted: 4xx answers (normal outcomes, e.g. a refused action), requests
 * aborted by a navigation (net::ERR_ABORTED), and Chromium's own "Failed to
 * load resource" console lines (the request handlers report those loads).
 */
export async function newPage(browser, { viewport = DESKTOP } = {}) {
  const context = await browser.newContext({
    viewport,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  const page = await context.newPage();
  const problems = [];
  page.problems = problems;
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    // Chromium's own line for a failed load repeats what the two handlers
    // below report (or a 4xx, which is no problem).
    if (text.startsWith('Failed to load resource:')) return;
    const loc = msg.location();
    problems.push(`console error: ${text}${loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
  });
  page.on('requestfailed', (req) => {
    const reason = req.failure()?.errorText || 'unknown';
    if (reason === 'net::ERR_ABORTED') return;
    problems.push(`requestfailed: ${req.method()} ${req.url()} (${reason})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 500) {
      problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
    }
  });
  return page;
}

/** Full-page screenshot to `${SCREENSHOTS}/${name}.png`; returns the path. */
export async function shot(page, name) {
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

function onLogin(url) {
  return new URL(url).pathname.replace(/\/+$/, '') === '/login';
}

/** Text of what the login page shows as an error, else its visible text. */
async function visibleError(page) {
  const alerts = page.locator('[role="alert"], .error, .alert, .flash, .notice');
  const texts = [];
  for (const el of await alerts.all()) {
    if (await el.isVisible().catch(() => false)) {
      const t = (await el.innerText().catch(() => '')).trim();
      if (t) texts.push(t);
    }
  }
  if (texts.length) return texts.join(' | ');
  const body = (await page.locator('body').innerText().catch(() => '')).trim();
  return body.replace(/\s+/g, ' ').slice(0, 500) || '(empty page)';
}

/**
 * Signs in through the login form and waits until the browser has left
 * /login. Throws, with the error the page shows, if it stays there.
 */
export async function signIn(page, account, password, { timeout = 10_000 } = {}) {
  await page.goto(`${BASE}/login`);
  await page.getByLabel('账号').fill(account);
  await page.getByLabel('口令').fill(password);
  // Success leaves /login (usually POST then a redirect). A refused sign-in
  // commits /login again (re-rendered, or redirected back): stop waiting then
  // rather than run into the timeout. Redirects in between are not commits.
  let onNav;
  const back = new Promise((resolve) => {
    onNav = (frame) => {
      if (frame === page.mainFrame() && onLogin(frame.url())) resolve(false);
    };
    page.on('framenavigated', onNav);
  });
  const left = page
    .waitForURL((url) => !onLogin(url), { timeout, waitUntil: 'domcontentloaded' })
    .then(() => true, () => false);
  await page.getByRole('button', { name: '登录' }).click();
  const ok = await Promise.race([left, back]);
  page.off('framenavigated', onNav);
  if (!ok) await page.waitForLoadState('domcontentloaded').catch(() => {});
  if (!ok || onLogin(page.url())) {
    throw new Error(`sign-in as ${account} stayed on /login: ${await visibleError(page)}`);
  }
}
