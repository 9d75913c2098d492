// The operator console in a real browser: install two new versions of the
// market-supervision adapter from packages, activate them, and roll back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { BASE, CLERK, OPERATOR, launch, newPage, shot, signIn } from './lib.mjs';

const PACKAGES = (process.env.ONEWINDOW_TEST_PACKAGES || '').split(':').filter(Boolean);
const VERSIONS = (process.env.ONEWINDOW_TEST_PACKAGE_VERSIONS || '').split(':').filter(Boolean);

let browser;
before(async () => {
  assert.equal(PACKAGES.length, 2, 'tests/browser.sh passes two packages in ONEWINDOW_TEST_PACKAGES');
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const row = (page, version) => page.locator(`tr[data-adapter="market-supervision"][data-version="${version}"]`);

async function install(page, file) {
  await page.getByLabel('适配器包（.tar.gz）').setInputFiles(file);
  // The console answers the upload by showing itself again, with its banner.
  const shown = page.waitForResponse(
    (r) => new URL(r.url()).pathname === '/admin' && r.request().method() === 'GET',
  );
  await page.getByRole('button', { name: '上传并安装' }).click();
  await shown;
  await page.waitForLoadState('load');
}

test('an operator uploads a new adapter version, activates it, and rolls it back', async () => {
  const page = await newPage(browser);
  await signIn(page, ...OPERATOR);
  assert.match(page.url(), /\/admin$/, 'operators land on the console');
  await assert.doesNotReject(page.getByRole('heading', { name: '适配器运维' }).waitFor());
  const before = await page.locator('tr[data-adapter="market-supervision"]').count();

  // A file that is no package is refused with the reason, and nothing changes.
  const junk = path.join(tmpdir(), 'not-a-package.tar.gz');
  writeFileSync(junk, 'this is not a gzip archive');
  await install(page, junk);
  assert.match(await page.getByRole('alert').innerText(), /操作未完成/);
  assert.equal(await page.locator('tr[data-adapter="market-supervision"]').count(), before);

  const [first, second] = VERSIONS;
  await install(page, PACKAGES[0]);
  await assert.doesNotReject(page.getByText(`已安装 market-supervision ${first}（尚未启用）`).waitFor());
  assert.match(await row(page, first).innerText(), /已安装/);
  await page.getByRole('button', { name: `启用 market-supervision ${first}` }).click();
  await assert.doesNotReject(page.getByText(`market-supervision 已启用 ${first}`).waitFor());

  await install(page, PACKAGES[1]);
  await page.getByRole('button', { name: `启用 market-supervision ${second}` }).click();
  await assert.doesNotReject(page.getByText(`market-supervision 已启用 ${second}`).waitFor());
  assert.match(await row(page, second).innerText(), /启用中/);
  assert.match(await row(page, second).innerText(), /正常/, 'its breaker is closed');
  await shot(page, 'admin-activated');

  await page.getByRole('button', { name: '回滚 market-supervision' }).click();
  await assert.doesNotReject(page.getByText(`market-supervision 已回滚到 ${first}`).waitFor());
  assert.match(await row(page, first).innerText(), /启用中/);
  assert.match(await row(page, second).innerText(), /已安装/);
  await shot(page, 'admin-rolled-back');
  assert.deepEqual(page.problems, []);
});

test('the console is for operators only', async () => {
  const page = await newPage(browser);
  await signIn(page, ...CLERK);
  const answer = await page.goto(`${BASE}/admin`);
  assert.equal(answer.status(), 403);
  assert.match(await page.getByRole('alert').innerText(), /仅限运维人员/);
  // Signed out, every page asks to sign in again.
  await page.goto(BASE);
  await page.getByRole('button', { name: '退出' }).click();
  await page.goto(`${BASE}/cases`);
  assert.match(page.url(), /\/login\?next=%2Fcases$/);
});

test('an operator reads what went to the department for a case, request beside answer', async () => {
  // A case accepted at the window (through the API, as the window does) goes to
  // 县市场监督管理局; its delivery is kept in the exchange log.
  const application = readFileSync(new URL('../../examples/requests/application.json', import.meta.url));
  const accepted = await fetch(`${BASE}/api/v1/cases`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CLERK[1]}`, 'content-type': 'application/json' },
    body: application,
  });
  assert.equal(accepted.status, 201, await accepted.clone().text());
  const { case_no: caseNo } = await accepted.json();

  const page = await newPage(browser);
  await signIn(page, ...OPERATOR);
  await page.getByLabel('办件编号').fill(caseNo);
  await page.getByRole('button', { name: '查看交换记录' }).click();
  await assert.doesNotReject(page.getByRole('heading', { name: `部门交换记录：办件 ${caseNo}` }).waitFor());
  // Delivery runs in the background: look again until it is there.
  const submitted = page.locator('details.exchange', { hasText: 'cases.submit' });
  for (let tries = 0; (await submitted.count()) === 0; tries++) {
    assert.ok(tries < 50, `no cases.submit exchange for ${caseNo}`);
    await new Promise((r) => setTimeout(r, 200));
    await page.reload();
  }
  await submitted.first().evaluate((d) => { d.open = true; });
  const text = await submitted.first().innerText();
  assert.match(text, /market-supervision/);
  assert.match(text, /POST http:\/\/127\.0\.0\.1:\d+\S* → 200/);
  assert.match(text, /请求[\s\S]*应答/);
  assert.doesNotMatch(text, /\d{17}[\dX](?!\*)/, 'no ID number in full');
  await shot(page, 'exchanges');

  // The call downloads as a fixtures folder.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    submitted.first().getByRole('link', { name: '下载为测试夹具' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^exchange-\d+\.tar\.gz$/);
  assert.deepEqual(page.problems, []);
});
