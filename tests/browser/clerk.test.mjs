// The clerk's single window in a real browser, against the platform with the
// five mock departments (tests/browser.sh starts them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, CLERK, launch, newPage, shot, signIn } from './lib.mjs';

/** A unified social credit code (GB 32100) with its check character. */
function creditCode(first17) {
  const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  const sum = [...first17].reduce((s, ch, i) => s + alphabet.indexOf(ch) * weights[i], 0);
  return first17 + alphabet[(31 - (sum % 31)) % 31];
}

/** A legal representative on the public-security mock's register, with a 居民身份证. */
const REPRESENTATIVE = { id: '330122198203150014', name: '王镕' };
const PDF = { mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n') };

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Fills the applicant as a new organization acting through its representative. */
async function fillOrganization(page, code, name) {
  await page.getByLabel('法人或其他组织').check();
  await page.getByLabel('证件号码', { exact: true }).fill(code);
  await page.getByLabel('姓名或单位名称').fill(name);
  await page.getByLabel('法定代表人或经办人公民身份号码').fill(REPRESENTATIVE.id);
  await page.getByLabel('法定代表人或经办人姓名').fill(REPRESENTATIVE.name);
}

/** Fills the required fields of 企业设立登记's form (一表申请), one input each. */
async function fillCompanyForm(page, company) {
  const field = (label) => page.getByLabel(`${label}（必填）`, { exact: true });
  await field('企业名称').fill(company);
  await field('法定代表人').fill(REPRESENTATIVE.name);
  await field('注册资本（如：100万元人民币）').fill('200万元人民币');
  await field('住所').fill('浙江省杭州市桐庐县横村镇横村大道290号');
  await field('经营范围').fill('一般项目：技术服务');
}

/** Attaches a file to every required material that no license covers. */
async function attachTheRest(page) {
  const inputs = page.locator('#materials tr:has(td:text-is("必交")) input[type=file]');
  const n = await inputs.count();
  for (let i = 0; i < n; i++) {
    await inputs.nth(i).setInputFiles({ name: `材料${i + 1}.pdf`, ...PDF });
  }
  return n;
}

test('a clerk finds 企业设立登记, accepts it for an organization reusing its representative’s license, and sees it completed', async () => {
  const page = await newPage(browser);
  await signIn(page, ...CLERK);

  await page.getByLabel('关键词').fill('企业设立');
  await page.getByRole('button', { name: '查询' }).click();
  await page.getByRole('link', { name: '企业设立登记', exact: true }).click();
  await assert.doesNotReject(page.getByRole('heading', { name: '企业设立登记' }).waitFor());
  const guide = await page.locator('dl.guide').innerText();
  assert.match(guide, /承诺办结时限\s*1 个工作日/);
  assert.match(guide, /受理条件/);
  await page.getByRole('link', { name: '受理此事项' }).click();

  const company = '桐庐蜂语新创科技有限公司';
  await fillOrganization(page, '91330122MA2H1234XM', company);
  await fillCompanyForm(page, company);
  // Consent: the representative's 居民身份证 covers 003 and 004 at once.
  await page.getByLabel('申请人同意查询并复用其电子证照').check();
  await page.locator('#materials .covered-by').first().waitFor();
  const covered = await page.locator('#materials tr.covered').allInnerTexts();
  assert.equal(covered.length, 2, covered.join('\n'));
  for (const row of covered) assert.match(row, /居民身份证 330122198203150014/);
  assert.equal(await attachTheRest(page), 3);
  await shot(page, 'acceptance');

  await page.getByRole('button', { name: '提交受理' }).click();
  await page.waitForURL(/\/cases\/[^/]+\/receipt$/);
  const receipt = await page.locator('article.receipt').innerText();
  const caseNo = await page.locator('.receipt .case-no').innerText();
  assert.match(caseNo, /^\S{8,}$/);
  assert.match(receipt, /承诺办结日期\s*\d{4}-\d{2}-\d{2}/);
  assert.match(receipt, /电子证照免提交材料\s*003、004/);
  await assert.doesNotReject(page.getByRole('button', { name: '打印受理回执' }).waitFor());
  await shot(page, 'receipt');

  // The mock department moves one stage every few seconds; the page follows.
  await page.getByRole('link', { name: '查看办件进度' }).click();
  await page.locator('.case-status[data-status="completed"]').waitFor({ timeout: 90_000 });
  const timeline = await page.locator('ol.timeline').innerText();
  for (const step of ['已受理', '已推送', '审查中', '办结']) assert.match(timeline, new RegExp(step));
  await shot(page, 'case-completed');

  // 好差评 is the applicant's: the clerk asks for a one-time code, and the
  // applicant rates on the 评价器, a page of its own (no clerk signed in there).
  assert.equal(await page.getByRole('button', { name: '提交评价' }).count(), 0);
  await page.getByRole('button', { name: '请申请人评价' }).click();
  const code = (await page.locator('.notice .code').innerText()).trim();
  assert.match(code, /^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
  const rater = await newPage(browser);
  try {
    await rater.goto(`${BASE}/rate`);
    await rater.getByLabel('窗口人员提供的评价码').fill(code);
    await rater.getByRole('button', { name: '开始评价' }).click();
    await rater.getByLabel('非常满意').check();
    await rater.getByLabel('评价意见（选填）').fill('窗口办事很快');
    await shot(rater, 'rating-device');
    await rater.getByRole('button', { name: '提交评价' }).click();
    await rater.getByRole('heading', { name: '感谢您的评价' }).waitFor();
    assert.deepEqual(rater.problems, []);
  } finally {
    await rater.context().close();
  }
  await page.reload();
  await assert.doesNotReject(page.getByText('申请人评价：非常满意（5 分）——窗口办事很快（窗口评价器）').waitFor());
  assert.equal(await page.getByRole('button', { name: '请申请人评价' }).count(), 0);

  // The case list finds it by department and status.
  await page.goto(`${BASE}/cases?department=${encodeURIComponent('县市场监督管理局')}&status=completed`);
  await assert.doesNotReject(page.getByRole('link', { name: caseNo }).waitFor());
  assert.deepEqual(page.problems, []);
});

test('a wrong ID check digit is shown next to the field as it is typed, and nothing is submitted', async () => {
  const page = await newPage(browser);
  await signIn(page, ...CLERK);
  await page.goto(`${BASE}/accept?matter_code=330122-SCJG-XK-001`);
  const id = page.getByLabel('证件号码', { exact: true });
  // 11010519491231002X is valid; ending in 1 its check digit is wrong.
  await id.pressSequentially('110105194912310021', { delay: 10 });
  const error = page.locator('#id_number-error');
  await error.waitFor({ state: 'visible' });
  assert.match(await error.innerText(), /校验位不正确/);
  await page.getByLabel('姓名或单位名称').fill('陈晓东');
  await shot(page, 'wrong-check-digit');

  await page.getByRole('button', { name: '提交受理' }).click();
  assert.match(page.url(), /\/accept$/, 'still on the form');
  assert.match(await page.locator('#id_number-error').innerText(), /校验位不正确/);
  assert.equal(await id.getAttribute('aria-invalid'), 'true');
  assert.equal(await id.inputValue(), '110105194912310021', 'what was typed is kept');

  // Corrected, the message goes away while typing.
  await id.fill('11010519491231002');
  await id.pressSequentially('X');
  await page.locator('#id_number-error').waitFor({ state: 'hidden' });

  await page.goto(`${BASE}/cases?applicant=110105194912310021`);
  await assert.doesNotReject(page.getByText('没有符合条件的办件。').waitFor());
  assert.deepEqual(page.problems, []);
});

test('a joint 开办企业 case is accepted once and shows its three parts', async () => {
  const page = await newPage(browser);
  await signIn(page, ...CLERK);
  await page.getByRole('link', { name: '受理“开办企业”' }).click();
  await assert.doesNotReject(page.getByRole('heading', { name: '受理：开办企业（一件事）' }).waitFor());

  // Submitted without files first: every missing material is listed at once.
  const code = creditCode('91330122MA2K7Q8Y5');
  await fillOrganization(page, code, '桐庐云栖茶器有限公司');
  // 一表申请: the 法定代表人 that 企业设立登记 and 发票申领 both ask for is one input.
  assert.equal(await page.locator('[name="f:法定代表人"]').count(), 1);
  await assert.doesNotReject(page.getByText('2 个事项共用此项，只填一次。').first().waitFor());
  await fillCompanyForm(page, '桐庐云栖茶器有限公司');
  await page.getByRole('button', { name: '提交受理' }).click();
  const notice = await page.locator('.notice').innerText();
  const missing = await page.locator('#materials tr.missing').count();
  assert.ok(missing >= 3, `${missing} missing`);
  assert.match(notice, new RegExp(`还缺 ${missing} 项材料`));

  await page.getByLabel('申请人同意查询并复用其电子证照').check();
  await page.locator('#materials .covered-by').first().waitFor();
  // 一件事 in order: the 营业执照 that 企业设立登记 is to issue is asked of nobody.
  const deferred = page.locator('#materials tr.covered', { hasText: '「企业设立登记」发放的营业执照（发证后免提交）' });
  assert.equal(await deferred.count(), 2);
  await attachTheRest(page);
  await page.getByRole('button', { name: '提交受理' }).click();
  await page.waitForURL(/\/receipt$/);
  assert.match(await page.locator('main').innerText(), /公章刻制备案（县公安局，待「企业设立登记」发证后办理）/);
  await page.getByRole('link', { name: '查看办件进度' }).click();

  const parts = page.locator('table.parts tbody tr');
  assert.equal(await parts.count(), 3);
  const text = await page.locator('table.parts').innerText();
  for (const matter of ['企业设立登记', '公章刻制备案', '发票申领']) assert.match(text, new RegExp(matter));
  for (const department of ['县市场监督管理局', '县公安局', '县税务局']) assert.match(text, new RegExp(department));
  assert.equal((text.match(/待「企业设立登记」发证后推送/g) || []).length, 2, text);
  await shot(page, 'joint-case');
  assert.deepEqual(page.problems, []);
});
