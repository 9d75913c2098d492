// The applicant channel in Chromium, on a phone (390×844) and a desktop: the
// public catalogue, and signing in through the identity platform that
// `make run` starts (examples/identity, oidc-provider) as a resident and as an
// enterprise.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, DESKTOP, PHONE, launch, newPage, shot } from './lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Fails if the page is wider than the screen (a phone would scroll sideways). */
async function fitsTheScreen(page, viewport) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= viewport.width, `the page is ${width}px wide on a ${viewport.width}px screen`);
}

/** The case the resident applied for, for the enterprise's test. */
let residentCase;

/** Reloads the case page at `url` until its status reads `label` (90 s at most). */
async function untilStatus(page, url, label) {
  for (let i = 0; i < 90; i += 1) {
    const status = (await page.locator('.case-status').innerText()).trim();
    if (status === label) return;
    await page.waitForTimeout(1000);
    await page.goto(url);
  }
  throw new Error(`the case at ${url} did not reach ${label}`);
}

/** From /my, signs in at the identity platform as `login`; back on /my. */
async function signInAsApplicant(page, login, password) {
  await page.goto(`${BASE}/my`);
  await page.waitForURL((url) => url.port === '9200', { waitUntil: 'domcontentloaded' });
  await page.getByLabel('身份证号码或统一社会信用代码').fill(login);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(`${BASE}/my`, { waitUntil: 'domcontentloaded' });
}

for (const [screen, viewport] of [['phone', PHONE], ['desktop', DESKTOP]]) {
  test(`the public catalogue and a guide, without signing in (${screen})`, async () => {
    const page = await newPage(browser, { viewport });
    try {
      const res = await page.goto(`${BASE}/services`);
      assert.equal(res.status(), 200);
      await page.getByRole('heading', { name: '一件事' }).waitFor();
      await page.getByLabel('关键词').fill('企业设立');
      await page.getByRole('button', { name: '查询' }).click();
      await page.getByRole('link', { name: '企业设立登记' }).first().click();
      await page.getByText('受理条件').waitFor();
      await fitsTheScreen(page, viewport);
      await shot(page, `services-guide-${screen}`);
      await page.goto(`${BASE}/services`);
      await fitsTheScreen(page, viewport);
      await shot(page, `services-${screen}`);
      assert.deepEqual(page.problems, []);
    } finally {
      await page.context().close();
    }
  });
}

test('a resident signs in on a phone through the identity platform, and out', async () => {
  const page = await newPage(browser, { viewport: PHONE });
  try {
    await page.goto(`${BASE}/my`);
    await page.waitForURL((url) => url.port === '9200', { waitUntil: 'domcontentloaded' });
    await fitsTheScreen(page, PHONE);
    await shot(page, 'identity-sign-in-phone');
    // A wrong password is the identity platform's to refuse.
    await page.getByLabel('身份证号码或统一社会信用代码').fill('11010519491231002X');
    await page.getByLabel('密码').fill('not-the-password');
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByText('证件号码或密码不正确').waitFor();

    await signInAsApplicant(page, '11010519491231002X', 'demo-resident-0001');
    await page.getByRole('heading', { name: '我的办事' }).waitFor();
    const body = await page.locator('main').innerText();
    assert.match(body, /陈晓东/);
    assert.match(body, /110105\*{8}002X/);
    assert.doesNotMatch(body, /11010519491231002X/);
    await fitsTheScreen(page, PHONE);
    await shot(page, 'my-phone');

    // The window is not the applicant's.
    await page.goto(`${BASE}/`);
    assert.equal(new URL(page.url()).pathname, '/login');

    await page.goto(`${BASE}/my`);
    await page.getByRole('button', { name: '退出' }).click();
    await page.waitForURL(`${BASE}/services`);
    assert.deepEqual(page.problems, []);
  } finally {
    await page.context().close();
  }
});

test('a resident applies online on a phone, reusing the 居民身份证 after previewing it', async () => {
  const page = await newPage(browser, { viewport: PHONE });
  try {
    await signInAsApplicant(page, '11010519491231002X', 'demo-resident-0001');
    await page.goto(`${BASE}/services/330122-SCJG-XK-001`);
    await page.getByRole('link', { name: '网上申请（全程网办）' }).click();
    await page.getByRole('heading', { name: '网上申请：企业设立登记' }).waitFor();
    // The preview of the license the platform would use, masked, with a box each.
    await page.getByText('居民身份证 110105********002X').first().waitFor();
    const fields = {
      企业名称: '桐庐晓东茶业有限公司',
      法定代表人: '陈晓东',
      注册资本: '100万元人民币',
      住所: '浙江省杭州市桐庐县桐君街道迎春南路277号',
      经营范围: '一般项目：茶叶种植；初级农产品收购',
    };
    for (const [label, value] of Object.entries(fields)) {
      await page.getByLabel(label, { exact: false }).first().fill(value);
    }
    const pdf = { name: 'file.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n') };
    for (const code of ['001', '002', '005']) {
      await page.locator(`input[name="file:${code}"]`).setInputFiles(pdf);
    }
    // Submitted without consent: the two materials the 居民身份证 would cover are missing.
    await page.getByRole('button', { name: '提交申请' }).click();
    await page.getByText('还缺 2 项必交材料').waitFor();
    for (const code of ['001', '002', '005']) {
      await page.locator(`input[name="file:${code}"]`).setInputFiles(pdf);
    }
    for (const box of await page.getByLabel(/同意复用此居民身份证/).all()) await box.check();
    // The mock 县市场监督管理局 asks for a 补正 when told so by this field, which
    // its matter does not show; the test adds it as a department's test data.
    await page.evaluate(() => {
      const field = document.createElement('input');
      Object.assign(field, { type: 'hidden', name: 'f:模拟结果', value: '补正' });
      document.querySelector('form.accept').append(field);
    });
    await shot(page, 'apply-phone');
    await fitsTheScreen(page, PHONE);
    await page.getByRole('button', { name: '提交申请' }).click();
    await page.waitForURL(/\/my\/cases\/\d{8}-\d{6}$/, { waitUntil: 'domcontentloaded' });
    const body = await page.locator('main').innerText();
    assert.match(body, /承诺办结日期/);
    assert.match(body, /003、004/);
    assert.match(body, /陈\*\*（申请人，网上办理）/);
    await fitsTheScreen(page, PHONE);
    await shot(page, 'my-case-phone');
    residentCase = new URL(page.url()).pathname.split('/').pop();

    // The department asks for a 补正; the applicant answers with a file.
    const caseUrl = page.url();
    await untilStatus(page, caseUrl, '补正中');
    await page.locator('form.supplement input[type="file"]').first().setInputFiles(pdf);
    await page.getByLabel('补正说明（选填）').fill('补交全体股东签字的章程');
    await page.getByRole('button', { name: '提交补正材料' }).click();
    await page.waitForURL(caseUrl);
    // The department resumes and completes it; the applicant rates it.
    await untilStatus(page, caseUrl, '办结');
    await page.getByLabel('非常满意').check();
    await page.getByLabel('评价意见（选填）').fill('全程网办，没跑一次');
    await page.getByRole('button', { name: '提交评价' }).click();
    await page.getByText('您的评价：非常满意（5 分）——全程网办，没跑一次（网上评价）').waitFor();
    await fitsTheScreen(page, PHONE);
    await shot(page, 'my-case-rated-phone');
    assert.deepEqual(page.problems, []);
  } finally {
    await page.context().close();
  }
});

test('a resident shows the 居民身份证 on a phone, and anyone checks its code', async () => {
  const page = await newPage(browser, { viewport: PHONE });
  const checker = await newPage(browser, { viewport: PHONE });
  try {
    await signInAsApplicant(page, '11010519491231002X', 'demo-resident-0001');
    await page.getByRole('link', { name: '我的证照' }).click();
    await page.getByRole('button', { name: '亮证：居民身份证' }).click();
    await page.getByRole('heading', { name: '亮证：居民身份证' }).waitFor();
    const code = (await page.locator('.verification .code').innerText()).trim();
    assert.match(code, /^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
    await fitsTheScreen(page, PHONE);
    await shot(page, 'license-shown-phone');

    // The checker, signed in nowhere, types the code as read out.
    await checker.goto(`${BASE}/verify`);
    await checker.getByLabel('持证人出示的验证码').fill(code.toLowerCase().replace('-', ' '));
    await checker.getByRole('button', { name: '核验' }).click();
    await checker.getByRole('heading', { name: '证照有效' }).waitFor();
    const body = await checker.locator('main').innerText();
    assert.match(body, /陈\*\*/);
    assert.doesNotMatch(body, /陈晓东|11010519491231002X/);
    await fitsTheScreen(checker, PHONE);
    await shot(checker, 'license-verified-phone');
    assert.deepEqual(page.problems, []);
    assert.deepEqual(checker.problems, []);
  } finally {
    await page.context().close();
    await checker.context().close();
  }
});

test('an enterprise signs in with its credit code and sees its legal representative', async () => {
  const page = await newPage(browser);
  try {
    await signInAsApplicant(page, '91330122704218653L', 'demo-enterprise-0001');
    const body = await page.locator('main').innerText();
    assert.match(body, /桐庐晓东茶业有限公司/);
    assert.match(body, /91330122704218653L/);
    assert.match(body, /法定代表人\s*陈晓东/);
    await shot(page, 'my-enterprise-desktop');
    // Its cases are its own: not the resident's, though the same person represents it.
    await page.goto(`${BASE}/my/cases`);
    const cases = await page.locator('main').innerText();
    assert.ok(residentCase, 'the resident applied first');
    assert.ok(!cases.includes(residentCase), `the enterprise sees ${residentCase}: ${cases}`);
    const theirs = await page.goto(`${BASE}/my/cases/${residentCase}`);
    assert.equal(theirs.status(), 403);
    assert.deepEqual(page.problems, []);
  } finally {
    await page.context().close();
  }
});
