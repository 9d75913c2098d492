// The 县医疗保障局 adapter, written in JavaScript: translates the department's
// 医保经办服务 (an ASP.NET WCF JSON service with a session cookie, `{"d": …}`
// answers and `\/Date(ms+0800)\/` dates, see
// `examples/legacy-systems/medical-insurance.md`) into the onewindow contract's
// `matters`, `cases` and `licenses`.
//
// Each call is a fresh instance, so each logs in first and uses its session for
// what it asks. Every answer is read strictly: anything the service should not
// say becomes `unavailable` with what was wrong. The service does not push, so
// `on-notify` refuses everything.

import { config } from 'onewindow:adapter/host@0.2.0';
import { post } from '../sdk/js/onewindow_http.js';

// Gives up on the service a little before the host's call timeout (5 s in the
// manifest); `timeout-ms` in the manifest's [config] overrides it.
const DEFAULT_TIMEOUT_MS = 4000;
const BEIJING_MS = 8 * 3600 * 1000;

const KINDS = [
  'administrative-license',
  'administrative-confirmation',
  'administrative-payment',
  'administrative-ruling',
  'administrative-reward',
  'other-power',
  'public-service',
];
const FIELD_TYPES = ['text', 'date', 'number', 'choice', 'id-number', 'credit-code', 'address'];
const SOURCES = ['name', 'id-number', 'credit-code', 'address', 'phone', 'legal-representative'];
const STATUSES = {
  1: 'in-review',
  2: 'supplement-requested',
  3: 'special-procedure',
  4: 'approved',
  5: 'denied',
  6: 'completed',
};
const CERTIFICATE_STATUSES = ['valid', 'revoked', 'expired'];

// The contract's errors: thrown, they are the function's `err`.
const invalid = (message) => ({ tag: 'invalid', val: message });
const notFound = (message) => ({ tag: 'not-found', val: message });
const unavailable = (message) => ({ tag: 'unavailable', val: message });
const refused = (message) => ({ tag: 'refused', val: message });

function requireConfig(key) {
  const value = config(key);
  if (value === undefined) {
    throw invalid(`the adapter's manifest has no \`${key}\` in its [config] table`);
  }
  return value;
}

function timeoutMs() {
  const text = config('timeout-ms');
  if (text === undefined) return DEFAULT_TIMEOUT_MS;
  const ms = Number(text.trim());
  if (!Number.isInteger(ms) || ms <= 0) {
    throw invalid(
      `the adapter's manifest has timeout-ms = "${text}" in its [config] table; expected a positive number of milliseconds`,
    );
  }
  return ms;
}

/** `\/Date(1765065600000+0800)\/` (after JSON parsing, `/Date(…)/`): its milliseconds. */
function dateMs(text) {
  const m = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The instant `ms` as RFC 3339 in Beijing time. */
function beijing(ms) {
  return new Date(ms + BEIJING_MS).toISOString().slice(0, 19) + '+08:00';
}

/** An object of an answer, whose missing or wrong members are reported with the path to them. */
class Reader {
  constructor(op, value, path) {
    this.op = op;
    this.value = value;
    this.path = path;
  }

  error(what) {
    return unavailable(`the answer to ${this.op} ${what}`);
  }

  at(name) {
    return `${this.path}${name}`;
  }

  raw(name, meaning) {
    if (this.value === null || typeof this.value !== 'object' || !(name in this.value)) {
      throw this.error(`has no ${this.at(name)} (${meaning})`);
    }
    return this.value[name];
  }

  text(name, meaning, { empty = false } = {}) {
    const v = this.raw(name, meaning);
    if (typeof v !== 'string' || (!empty && v.trim() === '')) {
      throw this.error(`has ${this.at(name)} (${meaning}) ${JSON.stringify(v)}; expected text`);
    }
    return v;
  }

  optionalText(name, meaning) {
    const v = this.value?.[name];
    if (v === undefined || v === null) return undefined;
    return this.text(name, meaning, { empty: true }) || undefined;
  }

  number(name, meaning) {
    const v = this.raw(name, meaning);
    if (!Number.isInteger(v) || v < 0) {
      throw this.error(`has ${this.at(name)} (${meaning}) ${JSON.stringify(v)}; expected a whole number`);
    }
    return v;
  }

  bool(name, meaning) {
    const v = this.raw(name, meaning);
    if (typeof v !== 'boolean') {
      throw this.error(`has ${this.at(name)} (${meaning}) ${JSON.stringify(v)}; expected true or false`);
    }
    return v;
  }

  code(name, meaning, codes) {
    const v = this.raw(name, meaning);
    const found = codes[v];
    if (!Number.isInteger(v) || found === undefined) {
      throw this.error(
        `has ${this.at(name)} (${meaning}) ${JSON.stringify(v)}; expected one of ${Object.keys(codes).join(', ')}`,
      );
    }
    return found;
  }

  instant(name, meaning) {
    const ms = dateMs(this.text(name, meaning));
    if (ms === undefined) {
      throw this.error(`has ${this.at(name)} (${meaning}) that is not a \\/Date(ms+0800)\\/`);
    }
    return beijing(ms);
  }

  date(name, meaning) {
    return this.instant(name, meaning).slice(0, 10);
  }

  list(name, meaning) {
    const v = this.raw(name, meaning);
    if (!Array.isArray(v)) {
      throw this.error(`has ${this.at(name)} (${meaning}) that is not a list`);
    }
    return v.map((item, i) => new Reader(this.op, item, `${this.at(name)}[${i}].`));
  }

  child(name, meaning) {
    const v = this.raw(name, meaning);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw this.error(`has ${this.at(name)} (${meaning}) that is not an object`);
    }
    return new Reader(this.op, v, `${this.at(name)}.`);
  }
}

function readJson(op, response) {
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(response.body);
  } catch {
    throw unavailable(`the answer to ${op} is not UTF-8 text`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw unavailable(`the answer to ${op} is not well-formed JSON: ${e.message}`);
  }
}

function send(op, params, cookie) {
  const url = `${requireConfig('endpoint').replace(/\/+$/, '')}/${op}`;
  let response;
  try {
    response = post(url, 'application/json; charset=utf-8', JSON.stringify(params), {
      headers: cookie ? [['cookie', cookie]] : [],
      timeoutMs: timeoutMs(),
    });
  } catch (e) {
    if (e.retryable === false) throw invalid(e.message);
    throw unavailable(e.message ?? String(e));
  }
  const json = (response.header('content-type') ?? '').includes('json');
  if (!json) {
    if (response.status === 404 || response.status === 405) {
      throw invalid(
        `the 医保 service answered HTTP ${response.status} to ${op}: the adapter's [config] endpoint does not point at it (it ends in /YbService.svc)`,
      );
    }
    throw unavailable(`the 医保 service answered HTTP ${response.status} to ${op}; try again later`);
  }
  const body = readJson(op, response);
  if (response.status === 200) {
    if (body === null || typeof body !== 'object' || !('d' in body)) {
      throw unavailable(`the answer to ${op} has no "d" (the ASP.NET envelope)`);
    }
    return { response, d: new Reader(op, body, '').raw('d', 'result') };
  }
  const said = typeof body?.Message === 'string' ? body.Message : 'no reason given';
  switch (response.status) {
    case 400:
      throw invalid(`the 医保 service rejected ${op} (HTTP 400): ${said}`);
    case 401:
      throw unavailable(`the 医保 service refused the session for ${op} (HTTP 401): ${said}`);
    case 404:
      return { response, notFound: said };
    case 409:
      throw refused(said);
    default:
      throw unavailable(`the 医保 service failed on ${op} (HTTP ${response.status}): ${said}; try again later`);
  }
}

/** Logs in and returns the session cookie to send. */
function login() {
  const { response, d } = send('Login', {
    userName: config('user') ?? 'onewindow',
    password: requireConfig('password'),
  });
  const result = new Reader('Login', d, 'd.');
  if (!result.bool('Success', '登录结果')) {
    throw invalid(
      `the 医保 service refused the login: ${result.optionalText('Message', '原因') ?? 'no reason given'}; check user and password in the adapter's [config]`,
    );
  }
  const cookie = /ASP\.NET_SessionId=([^;]+)/.exec(response.header('set-cookie') ?? '');
  if (!cookie) {
    throw unavailable('the answer to Login sets no ASP.NET_SessionId cookie');
  }
  return `ASP.NET_SessionId=${cookie[1]}`;
}

/** Calls `op` in a fresh session; its result, or `undefined` for HTTP 404. */
function call(op, params) {
  const answer = send(op, params, login());
  return answer.notFound === undefined ? answer.d : undefined;
}

function found(op, params, what) {
  const d = call(op, params);
  if (d === undefined) throw notFound(`the 医保 service has no ${what} (HTTP 404)`);
  return d;
}

function holderOf(party) {
  return party.tag === 'person'
    ? { IdType: 1, IdNumber: party.val.idNumber, Name: party.val.name }
    : { IdType: 2, IdNumber: party.val.creditCode, Name: party.val.name };
}

function partyOf(r) {
  const type = r.code('IdType', '证件类型', { 1: 'person', 2: 'organization' });
  const number = r.text('IdNumber', '证件号码');
  const name = r.text('Name', '姓名');
  return type === 'person'
    ? { tag: 'person', val: { idNumber: number, name } }
    : { tag: 'organization', val: { creditCode: number, name } };
}

function licenseOf(r) {
  return {
    typeCode: r.text('TypeCode', '凭证类型代码'),
    typeName: r.text('TypeName', '凭证类型名称'),
    number: r.text('Number', '凭证编号'),
    holder: partyOf(r.child('Holder', '持有人')),
    issuer: r.text('Issuer', '发证机构'),
    issuedOn: r.date('IssuedOn', '发证日期'),
    validUntil: r.value?.ValidUntil == null ? undefined : r.date('ValidUntil', '有效期至'),
    status: r.code('Status', '凭证状态', CERTIFICATE_STATUSES),
    face: r.list('Face', '照面信息').map((f) => ({
      key: f.text('Key', '项目'),
      value: f.text('Value', '内容', { empty: true }),
    })),
  };
}

function base64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function files(attachments) {
  return attachments.map((a) => ({
    MaterialCode: a.materialCode,
    FileName: a.fileName,
    ContentType: a.mediaType,
    Content: base64(a.content),
  }));
}

function wcfDate(rfc3339) {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) throw invalid(`the acceptance time ${rfc3339} is not an RFC 3339 time`);
  return `/Date(${ms}+0800)/`;
}

export const matters = {
  list() {
    return new Reader('GetMatters', { d: found('GetMatters', {}, 'catalogue') }, '')
      .list('d', '事项')
      .map((m) => ({
        code: m.text('Code', '事项编码'),
        name: m.text('Name', '事项名称'),
        department: m.text('Agency', '实施机构'),
        kind: m.code('Kind', '事项类型', KINDS),
        legalDays: m.number('LegalDays', '法定时限'),
        promisedDays: m.number('PromisedDays', '承诺时限'),
        visits: m.number('Visits', '到场次数'),
        online: m.bool('Online', '网上办理'),
        fee: m.text('Fee', '收费标准'),
        conditions: m.text('Conditions', '受理条件', { empty: true }),
        materials: m.list('Materials', '申请材料').map((c) => ({
          code: c.text('Code', '材料编码'),
          name: c.text('Name', '材料名称'),
          required: c.bool('Required', '必须'),
          licenseType: c.optionalText('LicenseType', '证照类型'),
        })),
        form: m.list('Form', '申请表').map((f) => {
          const type = f.code('FieldType', '表单项类型', FIELD_TYPES);
          const source = f.value?.Source == null ? undefined : f.code('Source', '来源', SOURCES);
          return {
            key: f.text('Key', '字段名'),
            label: f.text('Label', '标签'),
            kind:
              type === 'choice'
                ? { tag: 'choice', val: f.list('Options', '选项').map((o) => o.value) }
                : { tag: type },
            required: f.bool('Required', '必填'),
            fromParty: source,
          };
        }),
      }));
  },
};

export const cases = {
  submit(submission) {
    const d = found(
      'SubmitApplication',
      {
        application: {
          PlatformCaseNo: submission.caseNo,
          MatterCode: submission.matterCode,
          Applicant: holderOf(submission.applicant),
          AcceptedAt: wcfDate(submission.acceptedAt),
          Form: submission.form.map((f) => ({ Key: f.key, Value: f.value })),
          Files: files(submission.attachments),
          Licenses: submission.licenses.map((ref) => ({
            MaterialCode: ref.materialCode,
            TypeName: ref.license.typeName,
            Number: ref.license.number,
          })),
        },
      },
      `matter ${submission.matterCode}`,
    );
    return new Reader('SubmitApplication', d, 'd.').text('BusinessNo', '业务编号');
  },

  supplement(caseNo, attachments, note) {
    found('Supplement', { platformCaseNo: caseNo, remark: note, files: files(attachments) }, `case ${caseNo}`);
  },

  withdraw(caseNo, reason) {
    found('Withdraw', { platformCaseNo: caseNo, reason: reason.trim() || '申请人申请撤回' }, `case ${caseNo}`);
  },

  events(cursor) {
    const after = cursor ?? '0';
    if (!/^\d+$/.test(after)) {
      throw invalid(`the cursor ${JSON.stringify(after)} is not an Id of the 医保 service's changes`);
    }
    const page = new Reader('GetChanges', found('GetChanges', { afterId: Number(after), max: 50 }, 'change log'), 'd.');
    const events = page.list('Changes', '变更').map((c) => {
      const at = c.instant('ChangedAt', '变更时间');
      const note = c.text('Remark', '说明', { empty: true });
      const kind = c.text('Kind', '变更类别');
      if (kind === 'Certificate') {
        return { tag: 'license-changed', val: { license: licenseOf(c.child('Certificate', '凭证')), at, note } };
      }
      if (kind !== 'Case') {
        throw c.error(`has ${c.at('Kind')} (变更类别) ${JSON.stringify(kind)}; expected Case or Certificate`);
      }
      const status = c.code('Status', '办件状态', STATUSES);
      const issued =
        status === 'completed' && c.value.Certificate != null
          ? licenseOf(c.child('Certificate', '凭证'))
          : undefined;
      return {
        tag: 'case-changed',
        val: { caseNo: c.text('PlatformCaseNo', '平台办件编号'), status, at, note, issued },
      };
    });
    return {
      events,
      nextCursor: String(page.number('LastId', '本页最大Id')),
      more: page.bool('HasMore', '更多'),
    };
  },

  onNotify() {
    throw invalid('the 医保 service does not push notifications; its changes are polled');
  },
};

export const licenses = {
  byHolder(holder) {
    const d = call('GetCertificates', { idNumber: holderOf(holder).IdNumber });
    if (d === undefined) return [];
    return new Reader('GetCertificates', { d }, '').list('d', '凭证').map(licenseOf);
  },

  verify(typeCode, number) {
    const d = call('VerifyCertificate', { typeCode, number });
    return d === undefined ? undefined : licenseOf(new Reader('VerifyCertificate', d, 'd.'));
  },
};
