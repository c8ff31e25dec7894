/*
 * tests/console/console.test.js — the web console in a real browser:
 * Debian's chromium, headless, driven by puppeteer-core, against a real
 * `walcap server` and a real PostgreSQL.  tests/integration/t_console.sh
 * sets both up (the setup guide's objects, tables public.orders,
 * public.customers and public.ignored) and runs this with:
 *
 *   CONSOLE_URL      the server, e.g. http://127.0.0.1:8083
 *   PG_PORT PG_SOCK PG_DB PGBIN   the cluster (psql as postgres on the socket)
 *   WALCAP_TEST_PASSWORD         streamkap_user's password (typed into the form)
 *   SINK_FILE        the file sink's path, typed into the form
 *   WALCAP CHECK_CONF  the binary and a properties file with the keys the form
 *                    sends: `walcap check --json` of it is what Check must show
 *   PROFILE_DIR      chromium's profile (under the secrets dir: it sees the password)
 * The CSV file it uploads is written beside SINK_FILE.
 *   CHROMIUM         the browser (default /usr/bin/chromium)
 *   SCREENSHOT_DIR   if set, a PNG of each page is saved there (for a look by eye)
 *
 * It prints "ok - NAME" or "FAIL - NAME: why" per check (t_console.sh
 * counts them) and never prints the password.
 */
'use strict';

const fs = require('fs');
const { execFileSync } = require('child_process');
const puppeteer = require('puppeteer-core');

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};
const URL_ = env('CONSOLE_URL');
const PASSWORD = env('WALCAP_TEST_PASSWORD');
const SINK = env('SINK_FILE');
const NAME = 'shop-orders';
const STEP_MS = 30000;

let failures = 0;
function ok(name) { console.log(`ok - ${name}`); }
function fail(name, why) {
  failures++;
  console.log(`FAIL - ${name}: ${String(why).split(PASSWORD).join('<password>')}`);
}
function eq(name, got, want) {
  const g = JSON.stringify(got, null, 1), w = JSON.stringify(want, null, 1);
  if (g === w) ok(name);
  else fail(name, `\n    want: ${w.replace(/\n\s*/g, ' ')}\n    got:  ${g.replace(/\n\s*/g, ' ')}`);
}
function match(name, got, re) {
  if (re.test(got)) ok(name);
  else fail(name, `${JSON.stringify(got)} does not match ${re}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* Poll fn until it returns a truthy value (returned) or ms pass (the last value). */
async function until(fn, ms = STEP_MS) {
  const end = Date.now() + ms;
  let v;
  for (;;) {
    v = await fn();
    if (v || Date.now() > end) return v;
    await sleep(200);
  }
}

/* `walcap check --json`'s items for the configuration the form is filled with. */
function walcapCheck() {
  let out;
  try {
    out = execFileSync(env('WALCAP'), ['check', '-c', env('CHECK_CONF'), '--json'], {
      encoding: 'utf8', timeout: 60000, stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, WALCAP_DATABASE_PASSWORD: PASSWORD },
    });
  } catch (e) {
    out = e.stdout;   /* exit status 1 when something FAILs */
  }
  return JSON.parse(out).checks;
}

function psql(sql) {
  return execFileSync(`${env('PGBIN')}/psql`,
    ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', env('PG_SOCK'), '-p', env('PG_PORT'),
      '-U', 'postgres', '-d', env('PG_DB'), '-c', sql],
    { encoding: 'utf8', timeout: 60000 });
}

/* The sink's events as "op table id", in file order; the payload alone or with its schema. */
function events() {
  let text = '';
  try { text = fs.readFileSync(SINK, 'utf8'); } catch { return []; }
  return text.split('\n').filter((l) => l !== '').map((l) => {
    const e = JSON.parse(l);
    const p = e.payload && e.payload.op ? e.payload : e;
    const row = p.after || p.before || {};
    return `${p.op} ${p.source.schema}.${p.source.table} ${row.id}`;
  });
}
const ofOp = (op) => events().filter((e) => e.startsWith(`${op} `));
const sorted = (a) => [...a].sort();

async function rest(method, path) {
  const r = await fetch(URL_ + path, { method });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function main() {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    userDataDir: env('PROFILE_DIR'),
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
  try {
    await run(browser);
  } finally {
    await browser.close();
  }
}

async function run(browser) {
  const page = await browser.newPage();
  const jsErrors = [];
  page.on('pageerror', (e) => jsErrors.push(e.message));
  /* the console's own errors; the browser's note on each HTTP error answer is not one */
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) jsErrors.push(m.text());
  });
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.setViewport({ width: 1200, height: 900 });

  const text = (sel) => page.$eval(sel, (e) => e.textContent.trim()).catch(() => null);
  const visible = (sel) => page.$eval(sel, (e) => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length))
    .catch(() => false);
  const waitText = async (sel, want, ms) => until(async () => (await text(sel)) === want ? want : null, ms)
    .then(async (v) => v || text(sel));
  const hash = () => page.evaluate(() => location.hash);
  const setValue = async (sel, value) => {
    await page.$eval(sel, (e) => { e.value = ''; });
    if (value !== '') await page.type(sel, value);
  };
  const shot = async (name) => {
    if (process.env.SCREENSHOT_DIR) await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/${name}.png`, fullPage: true });
  };
  const dialogs = [];
  let answer = false;
  page.on('dialog', async (d) => { dialogs.push(d.message()); if (answer) await d.accept(); else await d.dismiss(); });

  /* ---- the list, empty */
  await page.goto(`${URL_}/`, { waitUntil: 'networkidle0' });
  eq('the console is served at / (title)', await page.title(), 'walcap: connectors');
  await until(() => page.$eval('#app', (e) => e.dataset.loaded === '1').catch(() => false));
  eq('no connectors: no rows', await page.$$eval('[data-testid=connector-row]', (r) => r.length), 0);
  eq('no connectors: the empty note shows', await visible('#list-empty'), true);

  /* ---- Create new: the guide's fields, order and defaults */
  await page.click('#btn-new');
  await page.waitForSelector('#connector-form');
  eq('Create new: #/new', await hash(), '#/new');
  const labels = () => page.$$eval('#connector-form .field', (rows) => rows
    .filter((r) => r.offsetWidth || r.offsetHeight).map((r) => r.querySelector('label').textContent));
  eq('the form: the guide\'s fields in its order, then the sink', await labels(), [
    'Name', 'Hostname', 'Port', 'Username', 'Password', 'Heartbeat', 'Signal Table Schema',
    'Database Name', 'Replication Slot Name', 'Publication Name', 'Connect via SSH Tunnel',
    'Represent Binary Data As', 'Add Schemas/Tables', 'Sink', 'File path']);
  const values = () => page.evaluate(() => Object.fromEntries(
    [...document.querySelectorAll('#connector-form input, #connector-form select')]
      .filter((e) => e.type !== 'file')
      .map((e) => [e.id, e.type === 'checkbox' ? e.checked : e.value])));
  eq('the form: the guide\'s defaults', await values(), {
    'f-name': '', 'f-hostname': '', 'f-port': '5432', 'f-user': '', 'f-password': '',
    'f-heartbeat': false, 'f-heartbeat-interval': '60000', 'f-signal-schema': 'streamkap', 'f-dbname': '',
    'f-slot': 'streamkap_pgoutput_slot', 'f-publication': 'streamkap_pub', 'f-ssh': false,
    'f-ssh-host': '', 'f-ssh-port': '22', 'f-ssh-user': '', 'f-ssh-key': '', 'f-binary': 'bytes',
    'f-table-entry': '', 'f-sink-type': 'file', 'f-sink-file-path': '', 'f-kafka-bootstrap': '',
    'f-http-url': '', 'f-redis-address': '',
  });
  eq('Sink: its four choices',
    await page.$$eval('#f-sink-type option', (o) => o.map((x) => x.value)), ['file', 'kafka', 'http', 'redis']);
  eq('Represent Binary Data As: its four choices',
    await page.$$eval('#f-binary option', (o) => o.map((x) => x.value)), ['bytes', 'base64', 'base64-url-safe', 'hex']);
  await page.click('#f-ssh');
  eq('SSH tunnel on: host, port (22), user, key file', (await labels()).slice(11, 15),
    ['SSH Host', 'SSH Port', 'SSH User', 'Private key file']);
  await page.click('#f-ssh');
  await page.click('#f-heartbeat');
  eq('Heartbeat on: its interval', (await labels())[6], 'Interval (ms)');
  await page.click('#f-heartbeat');

  /* ---- fill it in; tables typed and from a CSV file */
  await page.type('#f-name', NAME);
  await page.type('#f-hostname', '127.0.0.1');
  await setValue('#f-port', '99999');
  await page.type('#f-user', 'streamkap_user');
  await page.type('#f-password', PASSWORD);
  await page.type('#f-dbname', env('PG_DB'));
  await page.type('#f-table-entry', 'public.orders');
  await page.click('#btn-table-add');
  const csv = `${require('path').dirname(SINK)}/tables.csv`;
  fs.writeFileSync(csv, 'public,orders\r\n"public","customers"\r\n\r\n');
  const upload = await page.$('#f-tables-csv');
  await upload.uploadFile(csv);
  await until(async () => (await text('#tables-csv-status')) !== '');
  eq('CSV upload: rows read', await text('#tables-csv-status'), '2 rows read from tables.csv');
  eq('Schemas/Tables: the typed one and the CSV\'s, once each',
    await page.$$eval('[data-testid=table-item]', (l) => l.map((x) => x.dataset.value)),
    ['public.orders', 'public.customers']);
  await page.type('#f-sink-file-path', SINK);

  /* ---- Check with a bad port: the error next to the field */
  await page.click('#btn-check');
  await until(() => page.$eval('#check-result', (e) => e.dataset.done === '1'));
  const portErr = await text('[data-testid="err-database.port"]');
  match('Check: the bad port\'s error is next to Port', portErr || '', /99999/);
  eq('Check: the Port row is marked', await page.$eval('#row-port', (e) => e.classList.contains('invalid')), true);
  eq('Check: no other field has an error', await page.$$eval('#connector-form .field .err',
    (l) => l.filter((e) => e.textContent !== '').map((e) => e.dataset.testid)), ['err-database.port']);
  match('Check: the summary counts the error', await text('#check-config-summary'), /^1 configuration error: /);

  /*
   * ---- Check with the right port: exactly walcap check's lines.  The
   * guide's SQL grants no USAGE on the signal table's schema: Check shows
   * that FAIL with its fix; the fix, run as shown, makes it pass.
   */
  await setValue('#f-port', env('PG_PORT'));
  const check = async () => {
    await page.click('#btn-check');
    await until(() => page.$eval('#check-result', (e) => e.dataset.done === '1' &&
      document.querySelectorAll('[data-testid=check-item]').length > 0));
    return page.$$eval('[data-testid=check-item]', (l) => l.map((x) => ({
      status: x.dataset.status, line: x.querySelector('.line').textContent,
      fix: x.querySelector('.fix') ? x.querySelector('.fix').textContent : null,
    })));
  };
  const asShown = (checks) => checks.map((c) => ({
    status: c.status, line: c.message ? `${c.name}: ${c.message}` : c.name, fix: c.fix ? `fix: ${c.fix}` : null,
  }));
  let shown = await check();
  eq('Check: no field errors', await page.$$eval('#connector-form .field .err',
    (l) => l.filter((e) => e.textContent !== '').length), 0);
  eq('Check: the configuration is valid', await text('#check-config-summary'), 'The configuration is valid.');
  eq('Check: walcap check\'s lines, as `walcap check --json` gives them', shown, asShown(walcapCheck()));
  const failing = shown.filter((c) => c.status === 'FAIL');
  eq('Check: the guide\'s grants lack USAGE on the signal schema: FAIL with its fix', failing, [{
    status: 'FAIL', line: 'signal_grants: streamkap_user lacks USAGE on schema',
    fix: 'fix: GRANT USAGE ON SCHEMA "streamkap" TO "streamkap_role";\n' +
      'GRANT SELECT, UPDATE, INSERT ON TABLE "streamkap"."streamkap_signal" TO "streamkap_role";',
  }]);
  for (const f of failing) psql(f.fix.replace(/^fix: /, ''));

  shown = await check();
  const expected = walcapCheck();
  eq('Check after the fix: walcap check\'s lines', shown, asShown(expected));
  const passes = shown.filter((c) => c.status === 'PASS').map((c) => c.line.split(':')[0]);
  for (const name of ['login', 'wal_level', 'connect', 'replication_connection', 'publication',
    'signal_table', 'signal_grants', 'tables', 'select', 'slot', 'decoding']) {
    eq(`Check after the fix: PASS ${name}`, passes.includes(name), true);
  }
  eq('Check after the fix: nothing FAILs', shown.filter((c) => c.status === 'FAIL').length, 0);
  const n = (s) => expected.filter((c) => c.status === s).length;
  eq('Check after the fix: the summary line', await text('[data-testid=check-summary]'),
    `${n('PASS')} passed, ${n('WARN')} warning${n('WARN') === 1 ? '' : 's'}, ${n('FAIL')} failed, ${n('SKIP')} skipped`);

  await shot('create');
  /* ---- Save: the connector page, RUNNING */
  await page.click('#btn-save');
  await until(async () => (await hash()) === `#/connectors/${NAME}`);
  eq('Save: goes to the connector page', await hash(), `#/connectors/${NAME}`);
  eq('Save: the connector exists', (await rest('GET', '/connectors')).body, [NAME]);
  const cfg = (await rest('GET', `/connectors/${NAME}/config`)).body || {};
  eq('Save: the form\'s keys, the password masked', {
    class: cfg['connector.class'], host: cfg['database.hostname'], port: cfg['database.port'],
    user: cfg['database.user'], password: cfg['database.password'], db: cfg['database.dbname'],
    slot: cfg['slot.name'], pub: cfg['publication.name'], signal: cfg['signal.schema'],
    binary: cfg['binary.handling.mode'], tables: cfg['table.include.list'], sink: cfg['sink.type'],
    path: cfg['sink.file.path'],
  }, {
    class: 'io.debezium.connector.postgresql.PostgresConnector', host: '127.0.0.1', port: env('PG_PORT'),
    user: 'streamkap_user', password: '********', db: env('PG_DB'), slot: 'streamkap_pgoutput_slot',
    pub: 'streamkap_pub', signal: 'streamkap', binary: 'bytes',
    tables: 'public\\.orders,public\\.customers', sink: 'file', path: SINK,
  });
  eq('connector page: RUNNING', await waitText('#c-state', 'RUNNING'), 'RUNNING');

  /* ---- rows inserted with psql arrive in the file sink */
  psql("INSERT INTO public.orders VALUES (1, 'apple', 3), (2, 'pear', 1), (3, 'fig', 7)");
  psql("INSERT INTO public.customers VALUES (1, 'Ada')");
  psql("INSERT INTO public.ignored VALUES (1, 'not captured')");
  await until(() => ofOp('c').length >= 4);
  eq('inserts: their events in the file sink', sorted(ofOp('c')),
    ['c public.customers 1', 'c public.orders 1', 'c public.orders 2', 'c public.orders 3']);

  /* ---- the list: RUNNING and the events count */
  await page.click('#nav-connectors');
  const row = `[data-testid=connector-row][data-name="${NAME}"]`;
  await page.waitForSelector(row, { timeout: STEP_MS });
  const cell = (c) => text(`${row} [data-testid=${c}]`);
  eq('list: the connector\'s name', await cell('name'), NAME);
  eq('list: RUNNING', await cell('state'), 'RUNNING');
  eq('list: the events count', await until(async () => (await cell('events')) === '4' ? '4' : null) || await cell('events'), '4');
  match('list: events/s', await until(async () => { const v = await cell('eps'); return v !== '–' ? v : null; }) || '', /^\d+\.\d$/);
  match('list: lag in ms', await cell('lag'), /^\d+ ms$/);
  match('list: retained WAL, a size', await cell('wal'), /^(\d+ B|\d+\.\d (KiB|MiB|GiB))$/);
  /* the initial snapshot (incremental: the guide creates the slot) of two empty tables */
  eq('list: snapshot progress', await cell('snapshot'), 'completed');

  await shot('list');
  /* ---- the connector page: the chart */
  await page.click(`${row} [data-testid=name] a`);
  await page.waitForSelector('#c-chart');
  eq('connector page from the list', await hash(), `#/connectors/${NAME}`);
  const points = await until(() => page.$eval('#c-chart', (c) => Number(c.dataset.points || 0) >= 2 &&
    Number(c.dataset.points)));
  eq('chart: drawn from the history (a point every 2 s)', points >= 2, true);
  /* pixels of the events/s colour (#2458d6) inside the plot, where no label is */
  const inked = await page.$eval('#c-chart', (c) => {
    const [L, T, w, h] = c.dataset.plot.split(',').map(Number);
    const k = c.width / c.clientWidth;
    const d = c.getContext('2d').getImageData(Math.ceil(L * k), Math.ceil(T * k),
      Math.floor(w * k), Math.floor(h * k)).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - 0x24) < 40 && Math.abs(d[i + 1] - 0x58) < 40 && Math.abs(d[i + 2] - 0xd6) < 40 &&
        d[i + 3] > 200) n++;
    }
    return n;
  });
  eq('chart: the events/s line is on the canvas', inked > 0, true);
  eq('connector page: the events count', await waitText('[data-testid=m-events]', '4'), '4');
  eq('connector page: creates / updates / deletes', await text('[data-testid=m-ops]'), '4 / 0 / 0');
  eq('connector page: connected', await text('[data-testid=m-connected]'), 'yes');

  await shot('connector');
  /* ---- Pause: PAUSED, nothing streams */
  await page.click('#btn-pause');
  eq('Pause: accepted', await waitText('#c-message', 'Pause: accepted'), 'Pause: accepted');
  eq('Pause: PAUSED', await waitText('#c-state', 'PAUSED'), 'PAUSED');
  const st = (await rest('GET', `/connectors/${NAME}/status`)).body || {};
  eq('Pause: the REST status says PAUSED', [st.connector && st.connector.state, st.tasks && st.tasks[0].state],
    ['PAUSED', 'PAUSED']);
  psql("INSERT INTO public.orders VALUES (4, 'plum', 2)");
  await sleep(3000);
  eq('Pause: a row inserted meanwhile is not delivered', ofOp('c').length, 4);

  /* ---- Resume: RUNNING, the row arrives */
  await page.click('#btn-resume');
  eq('Resume: accepted', await waitText('#c-message', 'Resume: accepted'), 'Resume: accepted');
  eq('Resume: RUNNING', await waitText('#c-state', 'RUNNING'), 'RUNNING');
  await until(() => ofOp('c').length >= 5);
  eq('Resume: the paused row arrives', ofOp('c').slice(4), ['c public.orders 4']);

  /* ---- Snapshot tables: an incremental snapshot of public.orders */
  await page.click('#btn-snapshot');
  eq('Snapshot tables: asks for the tables', await visible('#snapshot-tables'), true);
  await page.type('#snapshot-tables', 'public.orders');
  /* the initial snapshot may have read rows inserted while it ran: only what follows counts */
  const before = events().length;
  const snapRows = () => events().slice(before).filter((e) => e.startsWith('r '));
  await page.click('#snapshot-go');
  match('Snapshot tables: requested', await until(async () => {
    const t = await text('#c-message');
    return t && t.startsWith('Snapshot') ? t : null;
  }) || await text('#c-error'), /^Snapshot requested for public\.orders( \(id .+\))?$/);
  await until(() => snapRows().length >= 4);
  await sleep(1000);
  eq('Snapshot tables: every row of public.orders, once, as op r', sorted(snapRows()),
    ['r public.orders 1', 'r public.orders 2', 'r public.orders 3', 'r public.orders 4']);
  eq('Snapshot tables: its progress, public.orders 4 rows scanned', await until(() => page.$$eval(
    '[data-testid=snapshot-table][data-table="public.orders"] td', (t) => t.map((x) => x.textContent).join(' | ')
  ).then((v) => v.startsWith('public.orders | 4 |') ? v : null)) || await page.$$eval(
    '[data-testid=snapshot-table]', (r) => r.map((x) => x.textContent).join('; ')), 'public.orders | 4 | 4');
  eq('Snapshot tables: completed', await waitText('#c-snapshot', 'completed'), 'completed');

  /* ---- Restart: RUNNING again and streaming */
  await page.click('#btn-restart');
  eq('Restart: accepted', await waitText('#c-message', 'Restart: accepted'), 'Restart: accepted');
  eq('Restart: RUNNING', await waitText('#c-state', 'RUNNING'), 'RUNNING');
  await sleep(1000);
  psql("INSERT INTO public.orders VALUES (5, 'kiwi', 9)");
  await until(() => ofOp('c').length >= 6);
  eq('Restart: streaming again', sorted(ofOp('c')), ['c public.customers 1', 'c public.orders 1',
    'c public.orders 2', 'c public.orders 3', 'c public.orders 4', 'c public.orders 5']);

  /* ---- Delete: the confirmation first declined, then accepted */
  answer = false;
  await page.click('#btn-delete');
  await sleep(500);
  eq('Delete: asks first', dialogs, [
    `Delete connector ${NAME}? Its replication slot is kept: drop it with SQL if it is no longer needed.`]);
  eq('Delete declined: still there', (await rest('GET', '/connectors')).body, [NAME]);
  eq('Delete declined: still on its page', await hash(), `#/connectors/${NAME}`);
  answer = true;
  await page.click('#btn-delete');
  await until(async () => (await hash()) === '#/');
  eq('Delete: back to the list', await hash(), '#/');
  eq('Delete: gone from the REST API', (await rest('GET', '/connectors')).body, []);
  eq('Delete: gone from the list', await until(async () =>
    await page.$$eval('[data-testid=connector-row]', (r) => r.length) === 0 && await visible('#list-empty')), true);
  eq('Delete: the slot is kept', psql(
    "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'streamkap_pgoutput_slot'").trim(), '1');

  /*
   * ---- the other choices of the form, as keys: what Check sends with
   * Heartbeat and the SSH tunnel on, hex, a whole schema and Kafka.
   */
  await page.click('#nav-new');
  await page.waitForSelector('#connector-form');
  let sent = null;
  const onRequest = (r) => { if (r.method() === 'PUT' && r.url().endsWith('/config/validate')) sent = r.postData(); };
  page.on('request', onRequest);
  await page.type('#f-name', 'other');
  await page.type('#f-hostname', 'db.internal');
  await page.type('#f-user', 'streamkap_user');
  await page.click('#f-heartbeat');
  await setValue('#f-heartbeat-interval', '15000');
  await page.type('#f-dbname', 'sales');
  await page.click('#f-ssh');
  await page.type('#f-ssh-host', 'bastion.example');
  await page.type('#f-ssh-user', 'tunnel');
  await page.type('#f-ssh-key', '/etc/walcap/id_ed25519');
  await page.select('#f-binary', 'hex');
  await page.type('#f-table-entry', 'sales, public.line_items');
  await page.keyboard.press('Enter');
  await page.select('#f-sink-type', 'http');
  eq('Sink HTTP: the URL instead of the file path', (await labels()).slice(-2), ['Sink', 'URL']);
  await page.select('#f-sink-type', 'redis');
  eq('Sink Redis Streams: its address', (await labels()).slice(-2), ['Sink', 'Redis address']);
  await page.select('#f-sink-type', 'kafka');
  eq('Sink Kafka: bootstrap servers instead of the file path', (await labels()).slice(-2), ['Sink', 'Bootstrap servers']);
  await page.type('#f-kafka-bootstrap', 'k1:9092,k2:9092');
  await page.click('#btn-check');
  await until(() => sent !== null && page.$eval('#check-result', (e) => e.dataset.done === '1'));
  page.off('request', onRequest);
  eq('Check sends the form as Debezium\'s and walcap\'s keys', JSON.parse(sent || 'null'), {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'plugin.name': 'pgoutput',
    'database.hostname': 'db.internal',
    'database.port': '5432',
    'database.user': 'streamkap_user',
    'heartbeat.interval.ms': '15000',
    'heartbeat.logical.message': 'true',
    'signal.schema': 'streamkap',
    'database.dbname': 'sales',
    'slot.name': 'streamkap_pgoutput_slot',
    'publication.name': 'streamkap_pub',
    'ssh.enabled': 'true',
    'ssh.host': 'bastion.example',
    'ssh.port': '22',
    'ssh.user': 'tunnel',
    'ssh.private.key.file': '/etc/walcap/id_ed25519',
    'binary.handling.mode': 'hex',
    'table.include.list': 'sales\\..*,public\\.line_items',
    'sink.type': 'kafka',
    'kafka.bootstrap.servers': 'k1:9092,k2:9092',
    name: 'other',
  });
  eq('Check does not create the connector', (await rest('GET', '/connectors')).body, []);

  /* ---- the whole run */
  eq('public.ignored (not in Schemas/Tables) produced no event',
    events().filter((e) => e.includes('public.ignored')), []);
  eq('no JavaScript errors', jsErrors, []);
  const origin = new URL(URL_).origin;
  eq('nothing loaded from elsewhere', requests.filter((u) => !u.startsWith(origin)), []);
}

main().then(() => {
  process.exitCode = failures ? 1 : 0;
}, (e) => {
  fail('console.test.js ran to its end', e && e.stack ? e.stack : e);
  process.exitCode = 1;
});
