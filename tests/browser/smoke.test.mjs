// Smoke tests: the browser starts, the login page renders, and the keyboard
// alone gets a clerk from signing in to a matter's guide.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, newPage, shot } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('the login page shows the platform name', async () => {
  const page = await newPage(browser);
  try {
    const res = await page.goto(`${BASE}/login`);
    assert.ok(res, 'no response for /login');
    await shot(page, 'login');
    assert.equal(res.status(), 200, `GET /login answered ${res.status()}`);
    await assert.doesNotReject(
      page.getByRole('heading', { name: '一网通办' }).first().waitFor({ timeout: 5_000 }),
      'no heading containing 一网通办 on /login',
    );
    assert.deepEqual(page.problems, []);
  } finally {
    await page.context().close();
  }
});

test('the keyboard alone signs in, searches and opens a guide', async () => {
  const page = await newPage(browser);
  try {
    await page.goto(`${BASE}/login`);
    // The account field has the focus; Tab reaches the password, Enter submits.
    await page.keyboard.type('窗口一号 王芳');
    await page.keyboard.press('Tab');
    await page.keyboard.type('demo-clerk-token-0001');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${BASE}/`);

    // Tab order: skip link, then the navigation, sign-out, then the themes and the search.
    const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim());
    const tabTo = async (what) => {
      for (let i = 0; i < 30; i++) {
        await page.keyboard.press('Tab');
        if ((await focused()) === what) return;
      }
      assert.fail(`Tab never reaches ${what}`);
    };
    await tabTo('q');
    await page.keyboard.type('食品经营');
    await page.keyboard.press('Enter');
    await page.waitForURL(/q=/);
    await tabTo('食品经营许可');
    await page.keyboard.press('Enter');
    await assert.doesNotReject(page.getByRole('heading', { name: '食品经营许可', exact: true }).waitFor());
    // Focus is visible: the focused element has an outline.
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none');
    assert.deepEqual(page.problems, []);
  } finally {
    await page.context().close();
  }
});
