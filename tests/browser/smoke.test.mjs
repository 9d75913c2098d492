// Smoke test: the browser starts and the login page renders.
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
