// Browser tests of the web UI in Debian's Chromium (playwright-core), run by
// tests/ui/run.sh against a served demo city: every figure the page shows
// is read from the page and compared with the API's own answer.
//
// Environment (run.sh sets it): DS_UI_URL (the server), DS_UI_DAY (the
// demo's day), DS_UI_VISIT (the collector's first stop, ready to be checked
// in), DS_UI_TEAM (its team), DS_UI_ARTIFACTS (the screenshots' folder),
// DS_UI_WEB (web/, for playwright-core and the dictionaries), CHROMIUM.
// Ends with "N passed, N failed"; exits 1 when anything failed.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const env = (k) => {
  if (!process.env[k]) { console.log(`FAIL: ui: ${k} is not set`); console.log('0 passed, 1 failed'); process.exit(1); }
  return process.env[k];
};
const URL = env('DS_UI_URL');
const DAY = env('DS_UI_DAY');
const VISIT = Number(env('DS_UI_VISIT'));
const TEAM = env('DS_UI_TEAM');
const ART = env('DS_UI_ARTIFACTS');
const WEB = env('DS_UI_WEB');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const { chromium } = createRequire(join(WEB, 'package.json'))('playwright-core');
const zh = (await import(pathToFileURL(join(WEB, 'src/i18n/zh-CN.js')))).default;
const en = (await import(pathToFileURL(join(WEB, 'src/i18n/en.js')))).default;

const LOGINS = {
  manager: ['demo-manager', 'demo-manager-pass'],
  analyst: ['demo-analyst', 'demo-analyst-pass'],
  collector: ['demo-collector', 'demo-collector-pass'],
};
const BUCKETS = ['M0', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7+'];
const DESKTOP = { viewport: { width: 1280, height: 900 } };
const PHONE = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

// ------------------------------------------------------------ the harness

let passed = 0;
let failed = 0;
const shots = [];
let current = null; // the page of the case running, for a screenshot on failure

async function shot(page, name, fullPage = true) {
  const path = join(ART, `${name}.png`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage });
  shots.push(path);
  return path;
}

async function test(name, fn) {
  const t0 = Date.now();
  current = null;
  try {
    await fn();
    passed++;
    console.log(`ok - ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL - ${name}: ${e && e.message ? e.message.split('\n').slice(0, 12).join('\n    ') : e}`);
    if (current && !current.isClosed()) {
      try { await shot(current, `failed-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 40).replace(/-$/, '')}`); } catch { /* the page is gone */ }
    }
  }
}

// A fresh context (its own cookies and storage) with a page that fails the
// case on any uncaught script error.
async function open(browser, opts) {
  const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...opts });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.errors = errors;
  current = page;
  return { context, page };
}

// Logs in through the login form; waits for the role's home page.
async function login(page, role, home) {
  const [user, password] = LOGINS[role];
  await page.goto(`${URL}/#/login`);
  await page.locator('input[name=user]').fill(user);
  await page.locator('input[name=password]').fill(password);
  await page.locator('form.login button[type=submit]').click();
  await page.waitForURL((u) => u.hash.startsWith(home));
}

// The API, through the context's own session cookie.
async function api(context, path, status = 200) {
  const r = await context.request.get(URL + path);
  const body = await r.json().catch(() => null);
  assert.equal(r.status(), status, `GET ${path}: status ${r.status()} ${JSON.stringify(body)}`);
  return body;
}

// The text of a locator, once it is there
async function assertText(locator, expected) {
  await locator.waitFor();
  assert.equal((await locator.textContent()).trim(), expected);
}

const digits = (s) => Number(String(s).replace(/[^0-9]/g, ''));
// "¥3,357,220.76" -> 335722076 fen
const fenOf = (s) => Math.round(Number(String(s).replace(/[^0-9.]/g, '')) * 100);
const maskName = (n) => [...n][0] + '*'.repeat([...n].length - 1);
const exactly = (s) => new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
const maskPhone = (p) => `${p.slice(0, 3)}****${p.slice(-4)}`;

// The text of the <dd> after the <dt> labelled `label` in the page's lists.
async function kvValue(page, label) {
  const dt = page.locator('dl.kv dt', { hasText: exactly(label) }).first();
  return (await dt.locator('xpath=following-sibling::dd[1]').textContent()).trim();
}

// ------------------------------------------------------------------ cases

// a run that hangs ends as a failure, well within ctest's own timeout
setTimeout(() => {
  console.log(`FAIL: ui: still running after 180 s (${passed} passed so far)`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}, 180000).unref();

let browser;
try {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // CI runs as root, where Chromium's sandbox cannot start
    chromiumSandbox: false,
  });
} catch (e) {
  console.log(`FAIL: ui: Chromium (${CHROMIUM}) did not start: ${String(e.message || e).split('\n')[0]}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log(`ui: Chromium ${browser.version()}, ${URL}, the demo city of ${DAY}`);

await test('a wrong password is refused on the login page', async () => {
  const { context, page } = await open(browser, DESKTOP);
  await page.goto(`${URL}/#/login`);
  await page.locator('input[name=user]').fill('demo-manager');
  await page.locator('input[name=password]').fill('not-the-password');
  await page.locator('form.login button[type=submit]').click();
  await assertText(page.locator('form.login .alert-error'), zh['login.failed']);
  assert.match(page.url(), /#\/login$/);
  await context.close();
});

await test('dashboard: the manager logs in and sees the portfolio as the API gives it', async () => {
  const { context, page } = await open(browser, DESKTOP);
  await login(page, 'manager', '#/dashboard');
  await page.locator('.kpi').nth(5).waitFor();
  await page.locator('.chart canvas').nth(1).waitFor();
  await page.locator('section.card table tbody tr').first().waitFor();

  const sum = await api(context, '/api/portfolio/summary');
  const plan = await api(context, `/api/plan?date=${DAY}`);
  const total = sum.communities.find((c) => c.total);
  const b = (k) => total.buckets[k] || { accounts: 0, overdue_fen: 0, balance_fen: 0 };
  const add = (f, ks = BUCKETS) => ks.reduce((a, k) => a + b(k)[f], 0);

  assert.equal((await page.locator('h1').textContent()).trim(), zh['dash.title']);
  assert.equal(await page.locator('.page-head .muted').first().textContent(), `${zh['dash.asOf']} ${sum.as_of}`);
  const kpi = async (key) => {
    const card = page.locator('.kpi', { has: page.locator('.kpi-label', { hasText: exactly(zh[key]) }) });
    const sub = card.locator('.kpi-sub');
    return { value: await card.locator('.kpi-value').textContent(), sub: (await sub.count()) ? await sub.textContent() : '' };
  };
  const accounts = await kpi('dash.kpi.accounts');
  assert.ok(add('accounts') > 0, 'the demo has open accounts');
  assert.equal(digits(accounts.value), add('accounts'), 'open accounts: the page against the API');
  const overdueAccounts = await kpi('dash.kpi.overdueAccounts');
  assert.ok(add('accounts', BUCKETS.slice(1)) > 0, 'the demo has overdue accounts');
  assert.equal(digits(overdueAccounts.value), add('accounts', BUCKETS.slice(1)), 'overdue accounts');
  const overdue = await kpi('dash.kpi.overdue');
  assert.ok(add('overdue_fen') > 0, 'the demo has money overdue');
  assert.equal(fenOf(overdue.sub), add('overdue_fen'), `the sum overdue (${overdue.sub})`);
  const planned = await kpi('dash.kpi.planAccounts');
  assert.ok(plan.accounts > 0, `the demo has a plan for ${DAY}`);
  assert.equal(digits(planned.value), plan.accounts, "the day's plan: accounts");
  assert.equal(digits(planned.sub), plan.held_out, "the day's plan: held out");

  // the community x bucket table: a row per community, then the total
  const table = page.locator('section.card', { has: page.locator('h2', { hasText: zh['dash.table'] }) }).locator('table');
  const rows = table.locator('tbody tr');
  assert.equal(await rows.count(), sum.communities.length, 'a row per community and the total');
  const last = (await rows.last().locator('td').allTextContents()).map((s) => s.trim());
  assert.equal(last[0], zh['dash.total']);
  BUCKETS.forEach((k, i) => assert.equal(digits(last[i + 1]), b(k).accounts, `the total row's ${k}`));

  // the day's plan by treatment, its total last
  const planRows = page.locator('section.card', { has: page.locator('h2', { hasText: zh['dash.plan'] }) }).locator('tbody tr');
  assert.equal(await planRows.count(), plan.treatments.length + 1, 'a row per treatment and the total');
  assert.equal(digits((await planRows.last().locator('td').nth(1).textContent())), plan.accounts);

  // the day's visits, as many as the API lists
  const visits = await api(context, `/api/visits?date=${DAY}&limit=200`);
  assert.ok(visits.items.length > 0, 'the demo routed visits');
  const vrows = page.locator('section.card', { has: page.locator('h2', { hasText: zh['dash.visits'] }) }).locator('tbody tr');
  assert.equal(await vrows.count(), visits.items.length, "the day's visits");

  // two charts, each drawn: canvases of some size with the bars' red in them
  const charts = await page.locator('.chart canvas').evaluateAll((cs) => cs.map((c) => {
    const g = c.getContext('2d');
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let red = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 0xc0) < 8 && Math.abs(d[i + 1] - 0x39) < 8 && Math.abs(d[i + 2] - 0x2b) < 8) red++;
    return { w: c.width, h: c.height, red };
  }));
  assert.equal(charts.length, 2, 'two charts');
  for (const c of charts) {
    assert.ok(c.w > 200 && c.h > 100, `a chart of ${c.w}x${c.h}`);
    assert.ok(c.red > 200, `bars drawn (${c.red} pixels of the bars' colour)`);
  }
  assert.deepEqual(page.errors, [], 'no script error');
  console.log(`    ${digits(accounts.value)} open accounts, ${digits(overdueAccounts.value)} overdue, ${overdue.sub} overdue, ${plan.accounts} in the plan, ${visits.items.length} visits`);
  console.log(`    screenshot: ${await shot(page, 'dashboard', false)}`);
  console.log(`    screenshot: ${await shot(page, 'dashboard-full')}`);
  await context.close();
});

await test('language: the switch to English changes the page at once and is remembered', async () => {
  const { context, page } = await open(browser, DESKTOP);
  await login(page, 'manager', '#/dashboard');
  await page.locator('.kpi').first().waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  const sw = page.locator('#topbar button.lang');
  assert.equal((await sw.textContent()).trim(), 'English');
  await sw.click();
  await assertText(page.locator('h1'), en['dash.title']);
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.equal((await sw.textContent()).trim(), '中文');
  assert.equal((await page.locator('#topbar nav a').first().textContent()).trim(), en['nav.dashboard']);
  await page.locator('.kpi-label', { hasText: en['dash.kpi.accounts'] }).first().waitFor();
  assert.equal(await page.locator('.kpi-label', { hasText: zh['dash.kpi.accounts'] }).count(), 0, 'no Chinese label left');
  // remembered across a reload
  await page.reload();
  await assertText(page.locator('h1'), en['dash.title']);
  await page.locator('.chart canvas').nth(1).waitFor();
  console.log(`    screenshot: ${await shot(page, 'dashboard-en')}`);
  await sw.click();
  await assertText(page.locator('h1'), zh['dash.title']);
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  assert.deepEqual(page.errors, [], 'no script error');
  await context.close();
});

await test("field: a collector on a 360x740 phone checks in and records an outcome on today's first stop", async () => {
  const { context, page } = await open(browser, PHONE);
  await login(page, 'collector', '#/field');
  // today's route: the collector's own team, in route order, as the API has it
  const all = await api(context, '/api/visits?limit=500');
  const stops = all.items.filter((v) => v.team_id === TEAM).sort((a, b) => a.route_seq - b.route_seq);
  assert.ok(stops.length > 1, 'the route has stops');
  assert.equal(stops[0].visit_id, VISIT, 'the prepared visit is the first stop');
  assert.equal(stops[0].state, 'scheduled');
  const first = stops[0];
  assert.ok(first.lat != null && first.lon != null, "the door's position is given to the team");

  await assertText(page.locator('h1'), zh['field.title']);
  const links = page.locator('ol.stops a.stop');
  await links.first().waitFor();
  assert.equal(await links.count(), stops.length, 'one tap target per stop');
  assert.equal(await page.locator('.page-head input[type=date]').inputValue(), DAY, "today's date");
  assert.deepEqual((await links.locator('strong').allTextContents()), stops.map((v) => v.name || v.account_id), 'the stops in route order');
  assert.equal(await links.first().getAttribute('href'), `#/field/${VISIT}`);
  const box = await links.first().boundingBox();
  assert.ok(box.width <= 360 && box.height >= 44, `a large tap target within the screen (${box.width}x${box.height})`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(overflow <= 360, `no sideways scrolling (page ${overflow} px wide)`);
  console.log(`    screenshot: ${await shot(page, 'field-route')}`);

  // the phone is at the door
  await context.setGeolocation({ latitude: first.lat, longitude: first.lon, accuracy: 10 });
  await context.grantPermissions(['geolocation'], { origin: URL });
  await links.first().tap();
  await page.waitForURL((u) => u.hash === `#/field/${VISIT}`);
  await page.locator('h1', { hasText: `#${VISIT}` }).waitFor();
  const checkIn = page.locator('section.card', { has: page.locator('h2', { hasText: zh['field.checkIn'] }) });
  await checkIn.locator('button.btn-huge').tap();
  // checked in, or refused with the reasons shown
  await assertText(checkIn.locator('.alert-ok, .alert-error'), zh['field.checkedIn'].replace('{m}', '0'));

  // the page reloads with the outcome form open
  const outcome = page.locator('details[open]', { has: page.locator('summary', { hasText: zh['field.outcomeForm'] }) });
  await outcome.waitFor();
  await outcome.locator('input[name=found][value=met_borrower]').check();
  await outcome.locator('select[name=situation]').selectOption('unemployment');
  await outcome.locator('select[name=attitude]').selectOption('cooperative');
  const note = `browser test ${Date.now()}`;
  await outcome.locator('textarea[name=note]').fill(note);
  await outcome.locator('button[type=submit]').tap();
  await assertText(outcome.locator('.alert-ok, .alert-error'), zh['state.outcome_recorded']);

  // after its reload the page shows the outcome among the visit's details
  await page.waitForFunction((s) => [...document.querySelectorAll('.state')].some((e) => e.textContent === s), zh['state.outcome_recorded']);
  await page.locator('details', { has: page.locator('summary', { hasText: zh['visit.title'] }) }).locator('summary').tap();
  assert.equal(await kvValue(page, zh['visit.outcome']), zh['found.met_borrower']);
  assert.equal(await kvValue(page, zh['visit.situation']), zh['situation.unemployment']);
  assert.equal(await kvValue(page, zh['visit.distance']), zh['visit.meters'].replace('{m}', '0'));

  // and through the API: the visit's state, outcome and who made each step
  const v = await api(context, `/api/visits/${VISIT}`);
  assert.equal(v.state, 'outcome_recorded');
  assert.equal(v.outcome, 'met_borrower');
  assert.equal(v.situation, 'unemployment');
  assert.equal(v.attitude, 'cooperative');
  assert.ok(v.checkin_distance_m >= 0 && v.checkin_distance_m < 1, `checked in at the door (${v.checkin_distance_m} m)`);
  const ev = v.events.filter((e) => e.actor === LOGINS.collector[0]).map((e) => e.event);
  assert.deepEqual(ev, ['check_in', 'record_outcome'], 'both steps made by the collector');
  const mgr = await browser.newContext();
  const r = await mgr.request.post(`${URL}/api/login`, { data: { user: LOGINS.manager[0], password: LOGINS.manager[1] } });
  assert.equal(r.status(), 200);
  const seen = await api(mgr, `/api/visits/${VISIT}`);
  assert.equal(seen.state, 'outcome_recorded', "the manager's view of the visit");
  await mgr.close();
  assert.deepEqual(page.errors, [], 'no script error');
  console.log(`    visit ${VISIT}: checked in ${v.checkin_distance_m} m from the door, outcome ${v.outcome}`);
  console.log(`    screenshot: ${await shot(page, 'field-visit')}`);
  await context.close();
});

await test('masking: a collector sees the phone masked, an analyst the name too; the whole values are not in the page', async () => {
  // the whole values, as a manager (who sees them unsealed) gets them
  const mgr = await browser.newContext();
  const r = await mgr.request.post(`${URL}/api/login`, { data: { user: LOGINS.manager[0], password: LOGINS.manager[1] } });
  assert.equal(r.status(), 200);
  const visit = await api(mgr, `/api/visits/${VISIT}`);
  const whole = (await api(mgr, `/api/accounts/${encodeURIComponent(visit.account_id)}`)).borrower;
  await mgr.close();
  assert.match(whole.phone, /^1[0-9]{10}$/, 'the manager gets the phone whole');
  assert.ok([...whole.name].length >= 2, 'a name of two characters or more');

  // the collector: the account of their stop; the name whole (they visit the
  // door, docs/auth.md), the phone 138****1234
  const col = await open(browser, PHONE);
  await login(col.page, 'collector', '#/field');
  await col.page.goto(`${URL}/#/accounts/${encodeURIComponent(visit.account_id)}`);
  await col.page.locator('dl.kv').nth(1).waitFor();
  const phone = await kvValue(col.page, zh['acc.phone']);
  assert.match(phone, /^1[0-9]{2}\*{4}[0-9]{4}$/, `the phone masked: ${phone}`);
  assert.equal(phone, maskPhone(whole.phone));
  assert.equal(await kvValue(col.page, zh['acc.name']), whole.name, 'the collector sees the name of the door they visit');
  let html = await col.page.content();
  assert.ok(!html.includes(whole.phone), 'the whole phone is nowhere in the DOM');
  console.log(`    screenshot: ${await shot(col.page, 'masked-collector')}`);
  // the collector's account list: every phone masked
  await col.page.goto(`${URL}/#/accounts`);
  await col.page.locator('table tbody tr').first().waitFor();
  const phones = await col.page.locator('table tbody tr td:nth-child(3)').allTextContents();
  assert.ok(phones.length > 0);
  for (const p of phones) assert.match(p, /^1[0-9]{2}\*{4}[0-9]{4}$/, `a listed phone masked: ${p}`);
  assert.deepEqual(col.page.errors, [], 'no script error');
  await col.context.close();

  // the analyst: the name 张* too
  const ana = await open(browser, DESKTOP);
  await login(ana.page, 'analyst', '#/dashboard');
  await ana.page.goto(`${URL}/#/accounts/${encodeURIComponent(visit.account_id)}`);
  await ana.page.locator('dl.kv').nth(1).waitFor();
  const name = await kvValue(ana.page, zh['acc.name']);
  assert.match(name, /^\S\*+$/u, `the name masked: ${name}`);
  assert.equal(name, maskName(whole.name));
  assert.equal(await kvValue(ana.page, zh['acc.phone']), maskPhone(whole.phone));
  assert.equal(await ana.page.locator('.badge', { hasText: zh['acc.masked'] }).count(), 1, 'the page says data is masked');
  html = await ana.page.content();
  assert.ok(!html.includes(whole.name), 'the whole name is nowhere in the DOM');
  assert.ok(!html.includes(whole.phone), 'the whole phone is nowhere in the DOM');
  assert.deepEqual(ana.page.errors, [], 'no script error');
  console.log(`    collector: ${phone}; analyst: ${name} ${maskPhone(whole.phone)}`);
  console.log(`    screenshot: ${await shot(ana.page, 'masked-analyst')}`);
  await ana.context.close();
});

await test('refused: a collector opening the dashboard, an analyst a visit: the refusal shown, the API says 403', async () => {
  const col = await open(browser, PHONE);
  await login(col.page, 'collector', '#/field');
  await col.page.goto(`${URL}/#/dashboard`);
  await assertText(col.page.locator('[data-testid=forbidden]'), zh['err.forbidden']);
  assert.equal(await col.page.locator('.kpi').count(), 0, 'no dashboard figure shown');
  assert.equal(await col.page.locator('#app a.btn-link').getAttribute('href'), '#/field', 'the way home');
  const no = await api(col.context, '/api/portfolio/summary', 403);
  assert.equal(no.error, 'forbidden');
  assert.equal((await api(col.context, `/api/plan?date=${DAY}`, 403)).error, 'forbidden');
  console.log(`    screenshot: ${await shot(col.page, 'forbidden-collector')}`);
  await col.page.locator('#app a.btn-link').tap();
  await col.page.locator('ol.stops a.stop').first().waitFor();
  assert.deepEqual(col.page.errors, [], 'no script error');
  await col.context.close();

  const ana = await open(browser, DESKTOP);
  await login(ana.page, 'analyst', '#/dashboard');
  await ana.page.goto(`${URL}/#/visits/${VISIT}`);
  await assertText(ana.page.locator('[data-testid=forbidden]'), zh['err.forbidden']);
  assert.equal((await api(ana.context, `/api/visits/${VISIT}`, 403)).error, 'forbidden');
  assert.equal((await api(ana.context, `/api/visits?date=${DAY}`, 403)).error, 'forbidden');
  await ana.context.close();
});

await browser.close();
console.log('ui: screenshots:');
for (const s of shots) console.log(`  ${s}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
