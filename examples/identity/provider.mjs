// The identity platform of `make run` and `make test` (统一身份认证, as the
// provincial government service network runs it): oidc-provider, a certified
// OpenID Provider, with the test residents and enterprises of accounts.json.
// Only the sign-in page is this file's own; discovery, JWKS, the authorization
// code flow with PKCE, tokens and their signatures are oidc-provider's.
//
// Environment (all optional):
//   IDENTITY_ADDR     where to listen, default 127.0.0.1:9200
//   IDENTITY_ISSUER   the issuer URL, default http://<IDENTITY_ADDR>
//   ONEWINDOW_URL     the platform's public URL, default http://127.0.0.1:8080;
//                     its /my/callback is the one redirect URI allowed (several
//                     replicas: their URLs separated by commas)
//   ONEWINDOW_OIDC_CLIENT_SECRET  the platform's client secret,
//                     default demo-oidc-client-secret-0001
//   IDENTITY_ID_TOKEN_TTL         seconds an ID token is valid, default 600

import { generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'node:querystring';

import Provider from 'oidc-provider';

const addr = process.env.IDENTITY_ADDR ?? '127.0.0.1:9200';
const [host, port] = addr.split(':');
const issuer = process.env.IDENTITY_ISSUER ?? `http://${addr}`;
const platforms = (process.env.ONEWINDOW_URL ?? 'http://127.0.0.1:8080').split(',').map((url) => url.trim().replace(/\/$/, ''));
const secret = process.env.ONEWINDOW_OIDC_CLIENT_SECRET ?? 'demo-oidc-client-secret-0001';
const idTokenTtl = Number(process.env.IDENTITY_ID_TOKEN_TTL ?? 600);

const { accounts } = JSON.parse(readFileSync(new URL('./accounts.json', import.meta.url)));
const byLogin = new Map(accounts.map((a) => [a.login, a]));

// A signing key of this run: relying parties find it through discovery and JWKS.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'onewindow',
    client_secret: secret,
    redirect_uris: platforms.map((url) => `${url}/my/callback`),
    post_logout_redirect_uris: platforms.map((url) => `${url}/services`),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  // The platform is first-party: the applicant's identity travels in the ID token.
  conformIdTokenClaims: false,
  scopes: ['openid', 'profile', 'identity'],
  claims: {
    openid: ['sub'],
    profile: ['name'],
    identity: ['party_type', 'id_number', 'credit_code', 'legal_representative_id_number', 'legal_representative_name'],
  },
  pkce: { required: () => true },
  ttl: { IdToken: idTokenTtl, AccessToken: 600, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600 },
  features: { devInteractions: { enabled: false } },
  async findAccount(ctx, sub) {
    const account = byLogin.get(sub);
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...account.claims }) };
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('认证出错', `<p>${escape(out.error)}：${escape(out.error_description ?? '')}</p>`);
  },
});

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · 统一身份认证（演示）</title>
<style>body{font-family:sans-serif;max-width:26em;margin:2em auto;padding:0 1em}label,input,button{display:block;width:100%;box-sizing:border-box;margin:.3em 0}
input,button{padding:.6em;font-size:1em}.error{color:#b00020}</style></head>
<body><h1>${title}</h1>${body}</body></html>`;
}

function loginForm(uid, error, login = '') {
  return page('统一身份认证', `<p>浙江政务服务网 · 统一身份认证（演示）。个人用身份证号码登录，法人用统一社会信用代码登录。</p>
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label for="login">身份证号码或统一社会信用代码</label><input id="login" name="login" required autocomplete="username" value="${escape(login)}">
<label for="password">密码</label><input id="password" name="password" type="password" required autocomplete="current-password">
<button type="submit">登录</button></form>`);
}

function samePassword(given, expected) {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 4096) throw new Error('form too large');
  }
  return parse(body);
}

// The sign-in page (oidc-provider leaves the interactions to its user). The
// platform is first-party, so consent is granted once the applicant signs in.
provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!match) return next();
  const [, uid, login] = match;
  ctx.set('cache-control', 'no-store');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) ctx.throw(400, 'interaction mismatch');
  if (details.prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    return undefined;
  }
  if (!login || ctx.method !== 'POST') {
    ctx.type = 'html';
    ctx.body = loginForm(uid);
    return undefined;
  }
  const form = await readForm(ctx.req);
  const account = byLogin.get(String(form.login ?? '').trim().toUpperCase());
  if (!account || !samePassword(String(form.password ?? ''), account.password)) {
    ctx.status = 401;
    ctx.type = 'html';
    ctx.body = loginForm(uid, '证件号码或密码不正确。', String(form.login ?? ''));
    return undefined;
  }
  await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: account.login } }, { mergeWithLastSubmission: false });
  return undefined;
});

provider.listen(Number(port), host, () => {
  console.log(`identity platform (oidc-provider) at ${issuer}, for ${platforms.join(', ')}`);
});
