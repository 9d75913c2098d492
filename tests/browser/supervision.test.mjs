// 督查 in Chromium: a 差评 followed up by its department (回访, 整改, 办结),
// which the applicant then sees in their channel; a complaint taken at the
// window, answered by the department and rated by the applicant; another
// department seeing none of it; and the supervisor's statistics with their
// server-drawn charts and CSV tables.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, CLERK, DESKTOP, PHONE, launch, newPage, shot, signIn } from './lib.mjs';

const SUPERVISOR = ['县政务服务管理办公室督查科 赵敏', 'demo-supervisor-token-0001'];
const MARKET_STAFF = ['县市场监督管理局 孙立', 'demo-department-token-0001'];
const TAX_STAFF = ['县税务局 周洁', 'demo-department-token-0002'];
/** A resident of examples/identity's accounts, the applicant here. */
const RESIDENT = { id: '330122198203150014', name: '王镕', password: 'demo-resident-0002' };

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Calls the API with the clerk's token; the JSON answer, or throws. */
async function api(method, path, body, token = CLERK[1]) {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const answer = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** A case for the resident, accepted at the window, once the department completed it. */
async function completedCase() {
  const attachments = ['001', '002', '003', '004', '005'].map((code) => ({
    material_code: code,
    file_name: `${code}.pdf`,
    media_type: 'application/pdf',
    content_base64: 'JVBERi0xLjQK',
  }));
  const accepted = await api('POST', '/api/v1/cases', {
    matter_code: '330122-SCJG-XK-001',
    applicant: { type: 'person', id_number: RESIDENT.id, name: RESIDENT.name },
    form: {
      企业名称: '桐庐镕记茶业有限公司',
      法定代表人: RESIDENT.name,
      注册资本: '100万元人民币',
      住所: '浙江省杭州市桐庐县桐君街道迎春南路277号',
      经营范围: '一般项目：茶叶种植',
    },
    attachments,
  });
  for (let i = 0; i < 90; i += 1) {
    const c = await api('GET', `/api/v1/cases/${accepted.case_no}`);
    if (c.status === 'completed') return c.case_no;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`case ${accepted.case_no} was not completed in 90 s`);
}

/** Signs `page` in at the identity platform as the resident; back on /my. */
async function signInAsResident(page) {
  await page.goto(`${BASE}/my`);
  await page.waitForURL((url) => url.port === '9200', { waitUntil: 'domcontentloaded' });
  await page.getByLabel('身份证号码或统一社会信用代码').fill(RESIDENT.id);
  await page.getByLabel('密码').fill(RESIDENT.password);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(`${BASE}/my`, { waitUntil: 'domcontentloaded' });
}

test('a 差评 and a complaint are handled by their department, seen by the applicant, and counted in the statistics', async () => {
  const caseNo = await completedCase();
  // The resident rates it 不满意 on the window's 评价器: a follow-up opens.
  const { code } = await api('POST', `/api/v1/cases/${caseNo}/rating-code`);
  await api('POST', `/api/v1/cases/${caseNo}/evaluation`, { rating: 2, comment: '排队太久', code }, null);

  // The clerk takes a complaint about the case at the window.
  const clerk = await newPage(browser);
  await signIn(clerk, ...CLERK);
  await clerk.getByRole('link', { name: '投诉咨询' }).click();
  await clerk.getByLabel('姓名或名称').fill(RESIDENT.name);
  await clerk.getByLabel('公民身份号码或统一社会信用代码').fill(RESIDENT.id);
  await clerk.getByLabel('所涉办件编号（选填）').fill(caseNo);
  // Nothing to say is refused, and what was typed stays.
  await clerk.getByRole('button', { name: '受理' }).click();
  assert.equal(new URL(clerk.url()).pathname, '/complaints/new');
  await clerk.getByLabel('内容').fill('取号后等候两个小时');
  await clerk.getByRole('button', { name: '受理' }).click();
  const taken = await clerk.locator('p.ok').innerText();
  assert.match(taken, /已受理投诉，编号 \d+，转县市场监督管理局办理/);
  const complaintId = taken.match(/编号 (\d+)/)[1];
  await shot(clerk, 'complaint-at-the-window');
  assert.deepEqual(clerk.problems, []);
  await clerk.context().close();

  // The tax office's staff see neither.
  const tax = await newPage(browser);
  await signIn(tax, ...TAX_STAFF);
  assert.equal(new URL(tax.url()).pathname, '/supervision');
  assert.equal(await tax.getByRole('link', { name: caseNo }).count(), 0);
  const foreign = await tax.goto(`${BASE}/supervision/follow-ups/${caseNo}`);
  assert.equal(foreign.status(), 404);
  assert.equal((await tax.goto(`${BASE}/cases`)).status(), 403);
  await tax.context().close();

  // The market's staff call back, rectify and close, and reply to the complaint.
  const market = await newPage(browser);
  await signIn(market, ...MARKET_STAFF);
  await market.getByRole('link', { name: caseNo }).click();
  await market.getByRole('button', { name: '办结差评整改' }).click();
  await assert.doesNotReject(market.getByRole('alert').filter({ hasText: '回访和整改都记录后才能办结' }).waitFor());
  await market.getByLabel('回访情况（电话回访申请人，记录其意见）').fill('已电话回访，申请人反映取号后等候过久');
  await market.getByRole('button', { name: '记录回访' }).click();
  await market.getByLabel('整改措施').fill('高峰时段增开一个综合窗口');
  await market.getByRole('button', { name: '记录整改' }).click();
  await shot(market, 'follow-up');
  await market.getByRole('button', { name: '办结差评整改' }).click();
  await assert.doesNotReject(market.locator('dl.guide').getByText('按期办结').waitFor());
  await market.goto(`${BASE}/supervision/complaints/${complaintId}`);
  await market.getByLabel('答复内容').fill('已增开窗口，感谢您的监督');
  await market.getByRole('button', { name: '答复' }).click();
  await assert.doesNotReject(market.locator('ol.timeline-list').getByText('答复', { exact: true }).waitFor());
  assert.deepEqual(market.problems, []);
  await market.context().close();

  // The resident sees the outcome on the case, and rates the reply.
  const resident = await newPage(browser, { viewport: PHONE });
  await signInAsResident(resident);
  await resident.goto(`${BASE}/my/cases/${caseNo}`);
  const outcome = await resident.locator('main').innerText();
  assert.match(outcome, /差评回访整改/);
  assert.match(outcome, /整改：高峰时段增开一个综合窗口/);
  await resident.goto(`${BASE}/my/complaints/${complaintId}`);
  await resident.getByLabel('满意', { exact: true }).check();
  await resident.getByRole('button', { name: '提交评价' }).click();
  await assert.doesNotReject(resident.getByText('4 分').first().waitFor());
  await shot(resident, 'my-complaint-phone');
  assert.deepEqual(resident.problems, []);
  await resident.context().close();

  // The supervisor reads the statistics: charts drawn on the server, tables
  // with their CSV.
  for (const [screen, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    const supervisor = await newPage(browser, { viewport });
    await signIn(supervisor, ...SUPERVISOR);
    await supervisor.getByRole('link', { name: '改革成效统计' }).click();
    await supervisor.getByRole('heading', { name: '改革成效统计' }).waitFor();
    const charts = supervisor.locator('.charts figure svg');
    assert.equal(await charts.count(), 3);
    for (const title of ['每周受理与办结（件）', '每周按期办结率', '各部门承诺时限内办结率与零跑动占比']) {
      assert.equal(await supervisor.locator('.charts svg text', { hasText: title }).count(), 1, title);
    }
    const summary = await supervisor.locator('table.summary').innerText();
    assert.match(summary, /受理\s+[1-9]\d*/);
    assert.match(summary, /差评 15 个工作日内整改率\s+\d+(\.\d)?%/);
    assert.match(await supervisor.locator('table.departments').innerText(), /县市场监督管理局/);
    const width = await supervisor.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= viewport.width, `the page is ${width}px wide on a ${viewport.width}px screen`);
    const csvHref = await supervisor.getByRole('link', { name: '导出 CSV' }).first().getAttribute('href');
    const csv = await supervisor.request.get(`${BASE}${csvHref}`);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'], /^text\/csv/);
    assert.match(await csv.text(), /^指标,值\n受理,\d+/);
    await shot(supervisor, `stats-${screen}`);
    if (screen === 'desktop') {
      await supervisor.getByRole('link', { name: '差评整改与投诉咨询' }).click();
      await assert.doesNotReject(supervisor.getByRole('link', { name: caseNo }).waitFor());
      await shot(supervisor, 'supervision');
    }
    assert.deepEqual(supervisor.problems, []);
    await supervisor.context().close();
  }
});
