// The {{department}} adapter ({{id}}), written in JavaScript.
//
// It serves the department's service catalogue: `matters.list` reads the
// legacy system's `GET {endpoint}/matters`, a JSON list such as
//
//     [{"code": "330122-XX-GG-001", "name": "示例事项", "days": 5,
//       "online": 1, "updated": "2026年12月1日"}]
//
// and turns each entry into a matter of the onewindow contract. Change the
// reading to your department's format, record fixtures against its system
// (`onewindow adapter test . --fixtures fixtures --record`), and add the
// `cases` and `licenses` interfaces when the department takes applications or
// issues licenses (see the onewindow README, "Adapters in JavaScript").

import { config } from 'onewindow:adapter/host@0.2.0';
import { decode, parseDate } from 'onewindow:adapter/codecs@0.2.0';
import { request } from './onewindow_http.js';

// The contract's errors: thrown, they are the function's `err`.
const invalid = (message) => ({ tag: 'invalid', val: message });
const unavailable = (message) => ({ tag: 'unavailable', val: message });

function requireConfig(key) {
  const value = config(key);
  if (value === undefined) throw invalid(`the adapter's manifest has no \`${key}\` in its [config] table`);
  return value;
}

export const matters = {
  list() {
    const url = `${requireConfig('endpoint').replace(/\/+$/, '')}/matters`;
    let response;
    try {
      response = request('GET', url, { timeoutMs: 4000 });
    } catch (e) {
      throw (e.retryable === false ? invalid : unavailable)(e.message);
    }
    if (response.status !== 200) throw unavailable(`${url} answered HTTP ${response.status}; try again later`);
    let entries;
    try {
      // Legacy systems often write GBK; the host's codecs read any charset strictly.
      entries = JSON.parse(decode(response.body, requireConfig('charset')));
    } catch (e) {
      throw unavailable(`the catalogue is not JSON in ${requireConfig('charset')}: ${e.payload ?? e.message}`);
    }
    if (!Array.isArray(entries)) throw unavailable('the catalogue is not a JSON list');
    return entries.map((entry, i) => {
      const wrong = (what) => unavailable(`the catalogue's entry ${i + 1} ${what}`);
      for (const [key, type] of [['code', 'string'], ['name', 'string'], ['days', 'number'], ['online', 'number'], ['updated', 'string']]) {
        if (typeof entry?.[key] !== type) throw wrong(`has no ${key} of the right kind`);
      }
      try {
        parseDate(entry.updated);
      } catch (e) {
        throw wrong(`has an updated date that is not one: ${e.payload}`);
      }
      return {
        code: entry.code,
        name: entry.name,
        department: requireConfig('department'),
        kind: 'public-service',
        legalDays: entry.days,
        promisedDays: entry.days,
        visits: entry.online ? 0 : 1,
        online: Boolean(entry.online),
        fee: '不收费',
        conditions: '',
        materials: [],
        form: [],
      };
    });
  },
};
