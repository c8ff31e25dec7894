/*
 * walcap console — a single-page app over walcap server's REST API
 * (docs/server.md): Kafka Connect's endpoints for what Connect has, and
 * the console's own under /walcap/ (states with metrics, history,
 * snapshots).  Plain ES2020, no framework, nothing loaded from elsewhere:
 * the binary serves this file (src/console.c).
 *
 * Pages, by the URL's hash:
 *   #/                  the connectors, refreshed every 2 s
 *   #/new               "Create new": the setup guide's connector form
 *   #/connectors/NAME   one connector: state, last error, chart, actions
 *
 * Every element tests/console/console.test.js uses has an id or a
 * data-testid; keep them stable.
 */
'use strict';

const CONNECTOR_CLASS = 'io.debezium.connector.postgresql.PostgresConnector';
const REFRESH_MS = 2000;

/* ------------------------------------------------------------ helpers */

const $ = (sel, root = document) => root.querySelector(sel);

/*
 * An element: attributes (on* are listeners, testid is data-testid,
 * false/null/undefined are left out) and children (strings become text,
 * never HTML: names and errors come from users and databases).
 */
function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'testid') e.dataset.testid = v;
    else if (k === 'className') e.className = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const k of kids.flat(Infinity)) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : String(k));
  }
  return e;
}

function humanBytes(n) {
  if (typeof n !== 'number' || n < 0) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

function humanMs(n) {
  if (typeof n !== 'number' || n < 0) return '–';
  return `${Math.round(n)} ms`;
}

function lsnText(n) {
  if (typeof n !== 'number' || n <= 0) return '–';
  const hi = Math.floor(n / 4294967296), lo = n % 4294967296;
  return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
}

function eventsTotal(m) {
  if (!m) return null;
  return ['events_create', 'events_update', 'events_delete', 'events_truncate', 'events_message']
    .reduce((s, k) => s + (typeof m[k] === 'number' ? m[k] : 0), 0);
}

/* "running 45% (450 of 1000 rows)", "completed", ... or "–". */
function snapshotText(m) {
  if (!m) return '–';
  if (m.snapshot_running) {
    let total = 0, done = 0;
    for (const t of m.tables || []) { total += Math.max(0, t.total_rows || 0); done += t.rows_scanned || 0; }
    const pct = total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 0;
    return `${m.snapshot_paused ? 'paused' : 'running'} ${pct}% (${done} of ${total} rows)`;
  }
  if (m.snapshot_aborted) return 'aborted';
  if (m.snapshot_completed) return 'completed';
  return '–';
}

/*
 * The table.include.list item for one "schema" or "schema.table" row, as
 * table.include.list.file makes it: the name as a literal (a comma as \,
 * which the list syntax needs), a schema meaning all its tables.
 */
function includePattern(name) {
  const esc = (s) => s.replace(/[.^$*+?()[\]{}|\\]/g, '\\$&').replace(/,/g, '\\,');
  return name.includes('.') ? esc(name) : `${esc(name)}\\..*`;
}

/*
 * The rows of the form's bulk upload: a CSV without header, each row one
 * schema or schema.table, or "schema,table".  RFC 4180 quotes are
 * understood; blank rows are skipped.
 */
function parseTablesCsv(text) {
  const rows = [];
  for (let line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const fields = [];
    let cur = '', q = false, i = 0;
    line = line.trim();
    if (line === '') continue;
    for (; i < line.length; i++) {
      const c = line[i];
      if (q) {
        if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') q = false; else cur += c;
      } else if (c === '"') q = true;
      else if (c === ',') { fields.push(cur.trim()); cur = ''; } else cur += c;
    }
    fields.push(cur.trim());
    const parts = fields.filter((f) => f !== '');
    if (parts.length) rows.push(parts.slice(0, 2).join('.'));
  }
  return rows;
}

/* ------------------------------------------------------------ the API */

let token = sessionStorage.getItem('walcap.token') || '';

class ApiError extends Error {
  constructor(status, data) {
    super(data && typeof data === 'object' && data.message ? data.message : `HTTP ${status}`);
    this.status = status;
    this.data = data;
  }
}

/*
 * One request; resolves to {status, data} (data: the parsed JSON body,
 * or null), rejects with an ApiError carrying Kafka Connect's message.
 * A 401 asks once for the server's bearer token.
 */
async function api(method, path, body, retried = false) {
  const opts = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  if (token) opts.headers.Authorization = `Bearer ${token}`;
  const r = await fetch(path, opts);
  if (r.status === 401 && !retried) {
    const t = window.prompt('This walcap server needs its bearer token (server.auth.token.file):');
    if (t) {
      token = t.trim();
      sessionStorage.setItem('walcap.token', token);
      return api(method, path, body, true);
    }
  }
  const text = await r.text();
  let data = null;
  if (text !== '') {
    try { data = JSON.parse(text); } catch { data = { message: text }; }
  }
  if (!r.ok) throw new ApiError(r.status, data);
  return { status: r.status, data };
}

const enc = encodeURIComponent;

/* ------------------------------------------------------------ routing */

let timer = null;
let generation = 0;   /* a page's async work stops touching the DOM once this moves on */

function route() {
  clearInterval(timer);
  timer = null;
  generation++;
  const app = $('#app');
  app.replaceChildren();
  const hash = location.hash || '#/';
  const m = /^#\/connectors\/(.+)$/.exec(hash);
  document.querySelectorAll('header nav a').forEach((a) => a.classList.remove('active'));
  if (hash === '#/new') pageNew(app);
  else if (m) pageConnector(app, decodeURIComponent(m[1]));
  else pageList(app);
}

/* Run fn now and every REFRESH_MS while the page is current. */
function every(fn) {
  const gen = generation;
  const tick = () => { if (gen === generation) fn(gen); };
  tick();
  timer = setInterval(tick, REFRESH_MS);
}

/* ------------------------------------------------------------ connectors list */

const lastTotals = new Map();   /* name -> {total, at}: for events/s between polls */

function eventsPerSecond(name, total, now) {
  const prev = lastTotals.get(name);
  lastTotals.set(name, { total, at: now });
  if (!prev || total === null || prev.total === null || now <= prev.at) return null;
  return Math.max(0, (total - prev.total) / ((now - prev.at) / 1000));
}

function pageList(app) {
  $('#nav-connectors').classList.add('active');
  document.title = 'walcap: connectors';
  const tbody = h('tbody', { id: 'connectors-body' });
  const empty = h('p', { id: 'list-empty', className: 'muted', hidden: true },
    'No connectors yet. ', h('a', { href: '#/new' }, 'Create one'), '.');
  const err = h('p', { id: 'list-error', className: 'error' });
  app.append(
    h('div', { className: 'toolbar' }, h('h1', {}, 'Connectors'),
      h('a', { id: 'btn-new', className: 'button primary', href: '#/new' }, 'Create new')),
    h('table', { id: 'connectors' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'State'), h('th', {}, 'Events'),
        h('th', {}, 'Events/s'), h('th', {}, 'Lag'), h('th', {}, 'Retained WAL'), h('th', {}, 'Snapshot'))),
      tbody),
    empty, err);

  every(async (gen) => {
    let list;
    try {
      list = (await api('GET', '/walcap/connectors')).data || [];
    } catch (e) {
      if (gen === generation) err.textContent = `Cannot list the connectors: ${e.message}`;
      return;
    }
    if (gen !== generation) return;
    err.textContent = '';
    const now = Date.now();
    tbody.replaceChildren(...list.map((c) => {
      const m = c.metrics || null;
      const total = eventsTotal(m);
      const eps = eventsPerSecond(c.name, total, now);
      return h('tr', { testid: 'connector-row', 'data-name': c.name, 'data-state': c.state },
        h('td', { testid: 'name' }, h('a', { href: `#/connectors/${enc(c.name)}` }, c.name)),
        h('td', { testid: 'state' }, h('span', { className: `state ${c.state}`, title: c.trace || null }, c.state)),
        h('td', { testid: 'events', className: 'num' }, total === null ? '–' : String(total)),
        h('td', { testid: 'eps', className: 'num' }, eps === null ? '–' : eps.toFixed(1)),
        h('td', { testid: 'lag', className: 'num' }, humanMs(m ? m.behind_source_ms : null)),
        h('td', { testid: 'wal', className: 'num' }, humanBytes(m ? m.retained_wal_bytes : null)),
        h('td', { testid: 'snapshot' }, snapshotText(m)));
    }));
    empty.hidden = list.length > 0;
    app.dataset.loaded = '1';
  });
}

/* ------------------------------------------------------------ create new */

/*
 * The setup guide's form, in its order and with its defaults ("Setup
 * PostgreSQL Connector in Streamkap"), each field mapped to the
 * Debezium/walcap key it sets.
 */
function field(id, key, label, input, hint) {
  return h('div', { className: 'field', id: `row-${id}`, 'data-key': key || null },
    h('label', { for: `f-${id}` }, label),
    input,
    hint ? h('div', { className: 'hint' }, hint) : null,
    h('div', { className: 'err', testid: `err-${key || id}`, id: `err-${id}` }));
}

function text(id, value = '', attrs = {}) {
  return h('input', { id: `f-${id}`, name: id, type: 'text', value, autocomplete: 'off', ...attrs });
}

/* key -> field id, for putting a key's errors next to its field */
const FIELD_OF_KEY = {
  name: 'name',
  'database.hostname': 'hostname',
  'database.port': 'port',
  'database.user': 'user',
  'database.password': 'password',
  'heartbeat.interval.ms': 'heartbeat-interval',
  'heartbeat.logical.message': 'heartbeat',
  'signal.schema': 'signal-schema',
  'database.dbname': 'dbname',
  'slot.name': 'slot',
  'publication.name': 'publication',
  'ssh.enabled': 'ssh',
  'ssh.host': 'ssh-host',
  'ssh.port': 'ssh-port',
  'ssh.user': 'ssh-user',
  'ssh.private.key.file': 'ssh-key',
  'binary.handling.mode': 'binary',
  'table.include.list': 'tables',
  'sink.type': 'sink-type',
  'sink.file.path': 'sink-file-path',
  'kafka.bootstrap.servers': 'kafka-bootstrap',
  'sink.http.url': 'http-url',
  'sink.redis.address': 'redis-address',
};

function pageNew(app) {
  $('#nav-new').classList.add('active');
  document.title = 'walcap: create new';
  const tables = [];
  const tablesList = h('ul', { id: 'tables-list', className: 'tables-list' });
  const renderTables = () => {
    tablesList.replaceChildren(...tables.map((t, i) => h('li', { testid: 'table-item', 'data-value': t },
      h('span', {}, t),
      h('button', { type: 'button', title: 'Remove', onclick: () => { tables.splice(i, 1); renderTables(); } }, 'remove'))));
  };
  const addTables = (names) => {
    for (const n of names) if (n && !tables.includes(n)) tables.push(n);
    renderTables();
  };

  const heartbeat = h('input', { id: 'f-heartbeat', type: 'checkbox' });
  const hbSub = h('div', { className: 'sub', id: 'heartbeat-options', hidden: true },
    field('heartbeat-interval', 'heartbeat.interval.ms', 'Interval (ms)',
      text('heartbeat-interval', '60000', { type: 'number', min: '1' })));
  heartbeat.addEventListener('change', () => { hbSub.hidden = !heartbeat.checked; });

  const ssh = h('input', { id: 'f-ssh', type: 'checkbox' });
  const sshSub = h('div', { className: 'sub', id: 'ssh-options', hidden: true },
    field('ssh-host', 'ssh.host', 'SSH Host', text('ssh-host')),
    field('ssh-port', 'ssh.port', 'SSH Port', text('ssh-port', '22', { type: 'number', min: '1', max: '65535' })),
    field('ssh-user', 'ssh.user', 'SSH User', text('ssh-user')),
    field('ssh-key', 'ssh.private.key.file', 'Private key file', text('ssh-key'),
      'A path on the server; its public key must be in the user\'s authorized_keys on the bastion'));
  ssh.addEventListener('change', () => { sshSub.hidden = !ssh.checked; });

  const tableEntry = text('table-entry', '', { placeholder: 'schema or schema.table' });
  const csv = h('input', { id: 'f-tables-csv', type: 'file', accept: '.csv,text/csv,text/plain' });
  csv.addEventListener('change', async () => {
    const f = csv.files && csv.files[0];
    if (!f) return;
    const rows = parseTablesCsv(await f.text());
    addTables(rows);
    $('#tables-csv-status').textContent = `${rows.length} row${rows.length === 1 ? '' : 's'} read from ${f.name}`;
    csv.value = '';
  });

  const sinkType = h('select', { id: 'f-sink-type' },
    h('option', { value: 'file' }, 'File'), h('option', { value: 'kafka' }, 'Kafka'),
    h('option', { value: 'http' }, 'HTTP'), h('option', { value: 'redis' }, 'Redis Streams'));
  const fileRow = field('sink-file-path', 'sink.file.path', 'File path', text('sink-file-path'),
    'A path on the server; events are appended, one JSON object per line');
  const kafkaRow = field('kafka-bootstrap', 'kafka.bootstrap.servers', 'Bootstrap servers',
    text('kafka-bootstrap', '', { placeholder: 'broker1:9092,broker2:9092' }));
  const httpRow = field('http-url', 'sink.http.url', 'URL', text('http-url'),
    'The receiver (http or https); batches of events are POSTed here, and the other sink.http.* keys go in the server\'s file');
  const redisRow = field('redis-address', 'sink.redis.address', 'Redis address',
    text('redis-address', '', { placeholder: 'redis.internal:6379' }));
  kafkaRow.hidden = httpRow.hidden = redisRow.hidden = true;
  sinkType.addEventListener('change', () => {
    fileRow.hidden = sinkType.value !== 'file';
    kafkaRow.hidden = sinkType.value !== 'kafka';
    httpRow.hidden = sinkType.value !== 'http';
    redisRow.hidden = sinkType.value !== 'redis';
  });

  const binary = h('select', { id: 'f-binary' },
    ['bytes', 'base64', 'base64-url-safe', 'hex'].map((v) => h('option', { value: v }, v)));

  const form = h('form', { id: 'connector-form', className: 'connector', novalidate: true },
    h('fieldset', {}, h('legend', {}, 'Connection'),
      field('name', 'name', 'Name', text('name'), 'Name for your connector'),
      field('hostname', 'database.hostname', 'Hostname', text('hostname')),
      field('port', 'database.port', 'Port', text('port', '5432', { type: 'number', min: '1', max: '65535' })),
      field('user', 'database.user', 'Username', text('user'), 'The user you chose earlier; the guide\'s scripts use streamkap_user'),
      field('password', 'database.password', 'Password', h('input', { id: 'f-password', type: 'password', autocomplete: 'new-password' })),
      field('heartbeat', 'heartbeat.logical.message', 'Heartbeat', heartbeat,
        'Required for low volume connectors: a logical decoding message at each interval keeps the slot moving (no table needed)'),
      hbSub,
      field('signal-schema', 'signal.schema', 'Signal Table Schema', text('signal-schema', 'streamkap'),
        'The schema of the streamkap_signal table, used to manage snapshots'),
      field('dbname', 'database.dbname', 'Database Name', text('dbname')),
      field('slot', 'slot.name', 'Replication Slot Name', text('slot', 'streamkap_pgoutput_slot')),
      field('publication', 'publication.name', 'Publication Name', text('publication', 'streamkap_pub')),
      field('ssh', 'ssh.enabled', 'Connect via SSH Tunnel', ssh),
      sshSub),
    h('fieldset', {}, h('legend', {}, 'Advanced Parameters'),
      field('binary', 'binary.handling.mode', 'Represent Binary Data As', binary)),
    h('fieldset', {}, h('legend', {}, 'Schemas/Tables'),
      h('div', { className: 'field', id: 'row-tables', 'data-key': 'table.include.list' },
        h('label', { for: 'f-table-entry' }, 'Add Schemas/Tables'),
        h('div', {}, tableEntry, ' ',
          h('button', { type: 'button', id: 'btn-table-add', onclick: () => {
            addTables(tableEntry.value.split(',').map((s) => s.trim()));
            tableEntry.value = '';
          } }, 'Add')),
        h('div', { className: 'hint' }, 'None: every table of the publication. Bulk upload: a CSV file without header, one schema or schema.table (or schema,table) per row: ',
          csv, h('span', { id: 'tables-csv-status' })),
        h('div', { className: 'hint' }, tablesList),
        h('div', { className: 'err', testid: 'err-table.include.list', id: 'err-tables' }))),
    h('fieldset', {}, h('legend', {}, 'Destination'),
      field('sink-type', 'sink.type', 'Sink', sinkType),
      fileRow, kafkaRow, httpRow, redisRow),
    h('div', { className: 'actions' },
      h('button', { type: 'button', id: 'btn-check' }, 'Check'),
      h('button', { type: 'submit', id: 'btn-save', className: 'primary' }, 'Save')),
    h('p', { id: 'form-error', className: 'error', role: 'alert' }),
    h('div', { id: 'check-result', hidden: true },
      h('h2', {}, 'Check'),
      h('p', { id: 'check-config-summary' }),
      h('ul', { id: 'check-general', className: 'error' }),
      h('p', { id: 'check-summary', testid: 'check-summary' }),
      h('ul', { id: 'check-list', className: 'checks' })));
  tableEntry.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') { ev.preventDefault(); $('#btn-table-add').click(); }
  });

  app.append(h('h1', {}, 'Create new PostgreSQL connector'), form);

  const val = (id) => $(`#f-${id}`).value.trim();
  const config = () => {
    const c = { 'connector.class': CONNECTOR_CLASS, 'plugin.name': 'pgoutput' };
    const put = (key, v) => { if (v !== '') c[key] = v; };
    put('database.hostname', val('hostname'));
    put('database.port', val('port'));
    put('database.user', val('user'));
    if ($('#f-password').value !== '') c['database.password'] = $('#f-password').value;
    if (heartbeat.checked) {
      /* a logical decoding message at each beat: it needs no table */
      put('heartbeat.interval.ms', val('heartbeat-interval'));
      c['heartbeat.logical.message'] = 'true';
    }
    put('signal.schema', val('signal-schema'));
    put('database.dbname', val('dbname'));
    put('slot.name', val('slot'));
    put('publication.name', val('publication'));
    if (ssh.checked) {
      c['ssh.enabled'] = 'true';
      put('ssh.host', val('ssh-host'));
      put('ssh.port', val('ssh-port'));
      put('ssh.user', val('ssh-user'));
      put('ssh.private.key.file', val('ssh-key'));
    }
    c['binary.handling.mode'] = binary.value;
    if (tables.length) c['table.include.list'] = tables.map(includePattern).join(',');
    c['sink.type'] = sinkType.value;
    if (sinkType.value === 'file') put('sink.file.path', val('sink-file-path'));
    else if (sinkType.value === 'kafka') put('kafka.bootstrap.servers', val('kafka-bootstrap'));
    else if (sinkType.value === 'http') put('sink.http.url', val('http-url'));
    else put('sink.redis.address', val('redis-address'));
    return c;
  };

  const clearErrors = () => {
    form.querySelectorAll('.field .err').forEach((e) => { e.textContent = ''; });
    form.querySelectorAll('.field.invalid').forEach((e) => e.classList.remove('invalid'));
    $('#form-error').textContent = '';
  };
  /* Put msg next to key's field; false when the form has no such field. */
  const showKeyError = (key, msg) => {
    const id = FIELD_OF_KEY[key];
    const row = id && $(`#row-${id}`);
    if (!row) return false;
    const e = row.querySelector('.err');
    e.textContent = e.textContent ? `${e.textContent}\n${msg}` : msg;
    row.classList.add('invalid');
    return true;
  };
  const busy = (on) => { $('#btn-check').disabled = on; $('#btn-save').disabled = on; };

  $('#btn-check', form).addEventListener('click', async () => {
    clearErrors();
    const result = $('#check-result');
    const general = $('#check-general');
    const list = $('#check-list');
    general.replaceChildren();
    list.replaceChildren();
    $('#check-summary').textContent = '';
    $('#check-config-summary').textContent = 'Checking…';
    result.hidden = false;
    result.dataset.done = '';
    busy(true);
    try {
      const body = config();
      if (val('name') !== '') body.name = val('name');
      const { data } = await api('PUT', `/connector-plugins/${enc(CONNECTOR_CLASS)}/config/validate`, body);
      let nerr = 0;
      for (const cfg of (data && data.configs) || []) {
        const v = cfg.value || {};
        for (const msg of v.errors || []) {
          nerr++;
          if (!showKeyError(v.name, msg)) general.append(h('li', { testid: 'general-error' }, v.name ? `${v.name}: ${msg}` : msg));
        }
      }
      for (const msg of [].concat((data && data.general) || [])) {
        nerr++;
        general.append(h('li', { testid: 'general-error' }, msg));
      }
      const count = data && typeof data.error_count === 'number' ? data.error_count : nerr;
      $('#check-config-summary').textContent = count === 0
        ? 'The configuration is valid.'
        : `${count} configuration error${count === 1 ? '' : 's'}: see the fields marked above.`;
      let checks = data ? data.walcap_check : null;
      if (checks && !Array.isArray(checks)) checks = checks.checks;
      if (Array.isArray(checks)) {
        const n = { PASS: 0, WARN: 0, FAIL: 0, SKIP: 0 };
        for (const it of checks) {
          n[it.status] = (n[it.status] || 0) + 1;
          list.append(h('li', { testid: 'check-item', className: it.status, 'data-name': it.name, 'data-status': it.status },
            h('span', { className: 'verdict' }, it.status),
            h('span', { className: 'line' }, it.message ? `${it.name}: ${it.message}` : it.name),
            it.why ? h('div', { className: 'why' }, `why: ${it.why}`) : null,
            it.fix ? h('pre', { className: 'fix', testid: 'check-fix' }, `fix: ${it.fix}`) : null));
        }
        $('#check-summary').textContent =
          `${n.PASS} passed, ${n.WARN} warning${n.WARN === 1 ? '' : 's'}, ${n.FAIL} failed, ${n.SKIP} skipped`;
      } else {
        $('#check-summary').textContent = 'walcap check did not run: the database was not reachable with this configuration.';
      }
    } catch (e) {
      $('#check-config-summary').textContent = '';
      $('#form-error').textContent = `Check failed: ${e.message}`;
    } finally {
      busy(false);
      result.dataset.done = '1';
    }
  });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors();
    const name = val('name');
    if (name === '') {
      showKeyError('name', 'A connector needs a name.');
      return;
    }
    busy(true);
    try {
      await api('POST', '/connectors', { name, config: config() });
      location.hash = `#/connectors/${enc(name)}`;
    } catch (e) {
      const m = /^([A-Za-z0-9_.-]+): /.exec(e.message);
      if (m) showKeyError(m[1], e.message);
      $('#form-error').textContent = `Not saved: ${e.message}`;
    } finally {
      busy(false);
    }
  });
}

/* ------------------------------------------------------------ one connector */

/*
 * The history as two lines on one time axis: events/s (left scale) and
 * lag in ms (right scale).  Drawn by hand on the canvas: no chart library.
 */
function drawChart(canvas, hist) {
  const dpr = window.devicePixelRatio || 1;
  const W = canvas.clientWidth || 800, H = canvas.clientHeight || 240;
  canvas.width = Math.round(W * dpr);
  canvas.height = Math.round(H * dpr);
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, W, H);
  const t = (hist && hist.t) || [];
  const eps = (hist && hist.events_per_second) || [];
  const lag = (hist && hist.lag_ms) || [];
  const L = 56, R = 64, T = 12, B = 26;
  const w = W - L - R, hh = H - T - B;
  g.font = '11px system-ui, sans-serif';
  g.strokeStyle = '#d9dde5';
  g.fillStyle = '#5b6475';
  g.lineWidth = 1;
  g.strokeRect(L + 0.5, T + 0.5, w, hh);
  canvas.dataset.points = String(t.length);
  canvas.dataset.plot = [L, T, w, hh].join(',');   /* the plot's box, in CSS pixels */
  if (t.length === 0) {
    g.fillText('No history yet: points arrive every 2 s.', L + 12, T + hh / 2);
    return;
  }
  const ok = (v) => typeof v === 'number' && v >= 0;
  const max = (a) => Math.max(1, ...a.filter(ok));
  const epsMax = max(eps), lagMax = max(lag);
  const t0 = t[0], t1 = t[t.length - 1];
  const x = (i) => L + (t1 > t0 ? ((t[i] - t0) / (t1 - t0)) * w : w);
  /* a line through the known values, and a dot on each (a lone point is seen too) */
  const line = (vals, vmax, color) => {
    const y = (i) => T + hh - (vals[i] / vmax) * hh;
    g.strokeStyle = color;
    g.fillStyle = color;
    g.lineWidth = 2;
    g.beginPath();
    let pen = false;
    for (let i = 0; i < t.length; i++) {
      if (!ok(vals[i])) { pen = false; continue; }
      if (pen) g.lineTo(x(i), y(i)); else g.moveTo(x(i), y(i));
      pen = true;
    }
    g.stroke();
    for (let i = 0; i < t.length; i++) {
      if (!ok(vals[i])) continue;
      g.beginPath();
      g.arc(x(i), y(i), 2.5, 0, 2 * Math.PI);
      g.fill();
    }
  };
  /* grid and scales */
  g.strokeStyle = '#eef0f4';
  for (let k = 1; k < 4; k++) {
    const y = T + (hh * k) / 4 + 0.5;
    g.beginPath(); g.moveTo(L, y); g.lineTo(L + w, y); g.stroke();
  }
  g.fillStyle = '#2458d6';
  g.textAlign = 'right';
  g.fillText(epsMax.toFixed(epsMax < 10 ? 1 : 0), L - 6, T + 10);
  g.fillText('0', L - 6, T + hh);
  g.fillStyle = '#c2410c';
  g.textAlign = 'left';
  g.fillText(`${Math.round(lagMax)} ms`, L + w + 6, T + 10);
  g.fillText('0', L + w + 6, T + hh);
  g.fillStyle = '#5b6475';
  const unit = t1 > 1e11 ? 1000 : 1;   /* ms or s since 1970 */
  const span = Math.round((t1 - t0) / unit);
  g.textAlign = 'left';
  g.fillText(`-${span} s`, L, H - 8);
  g.textAlign = 'right';
  g.fillText('now', L + w, H - 8);
  line(eps, epsMax, '#2458d6');
  line(lag, lagMax, '#c2410c');
}

function pageConnector(app, name) {
  document.title = `walcap: ${name}`;
  const state = h('span', { id: 'c-state', className: 'state' }, '…');
  const trace = h('pre', { id: 'c-trace', className: 'trace', hidden: true });
  const msg = h('p', { id: 'c-message', className: 'message', role: 'status' });
  const err = h('p', { id: 'c-error', className: 'error', role: 'alert' });
  const canvas = h('canvas', { id: 'c-chart', width: '800', height: '240' });
  const metrics = h('dl', { id: 'c-metrics', className: 'metrics' });
  const snapTables = h('tbody', { id: 'c-snapshot-tables' });
  const configBody = h('tbody', { id: 'c-config' });
  const snapInput = h('input', { id: 'snapshot-tables', type: 'text', placeholder: 'public.orders, public.customers', size: '40' });
  const snapForm = h('div', { id: 'snapshot-form', className: 'card', hidden: true },
    h('label', { for: 'snapshot-tables' }, 'Tables to snapshot (schema.table, separated by commas): '),
    snapInput, ' ',
    h('button', { type: 'button', id: 'snapshot-go', className: 'primary' }, 'Start snapshot'), ' ',
    h('button', { type: 'button', id: 'snapshot-cancel', onclick: () => { snapForm.hidden = true; } }, 'Cancel'));
  const path = `/connectors/${enc(name)}`;
  const gen = generation;

  const say = (text) => { if (gen === generation) { msg.textContent = text; err.textContent = ''; } };
  const fail = (text) => { if (gen === generation) { err.textContent = text; msg.textContent = ''; } };
  let refresh = async () => {};
  const action = (label, method, p, body, done) => async () => {
    try {
      const r = await api(method, p, body);
      if (done) done(r); else say(`${label}: accepted`);
    } catch (e) {
      fail(`${label} failed: ${e.message}`);
    }
    refresh();
  };

  app.append(
    h('p', {}, h('a', { href: '#/' }, '← Connectors')),
    h('h1', { id: 'c-name' }, name),
    h('p', {}, 'State: ', state),
    h('div', { id: 'c-trace-box' }, trace),
    h('div', { className: 'actions' },
      h('button', { type: 'button', id: 'btn-snapshot', onclick: () => { snapForm.hidden = false; snapInput.focus(); } }, 'Snapshot tables'),
      h('button', { type: 'button', id: 'btn-pause', onclick: action('Pause', 'PUT', `${path}/pause`) }, 'Pause'),
      h('button', { type: 'button', id: 'btn-resume', onclick: action('Resume', 'PUT', `${path}/resume`) }, 'Resume'),
      h('button', { type: 'button', id: 'btn-restart', onclick: action('Restart', 'POST', `${path}/restart`) }, 'Restart'),
      h('button', { type: 'button', id: 'btn-delete', className: 'danger' }, 'Delete')),
    snapForm, msg, err,
    h('h2', {}, 'Throughput and lag'), canvas,
    h('div', { className: 'legend' },
      h('span', {}, h('span', { className: 'swatch', style: 'background:#2458d6' }), 'events/s (left)'),
      h('span', {}, h('span', { className: 'swatch', style: 'background:#c2410c' }), 'lag, ms behind source (right)')),
    h('h2', {}, 'Metrics'), metrics,
    h('h2', {}, 'Snapshot'),
    h('p', { id: 'c-snapshot' }, '–'),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Table'), h('th', {}, 'Rows scanned'), h('th', {}, 'Rows (estimate)'))), snapTables),
    h('h2', {}, 'Configuration'),
    h('table', {}, configBody));

  $('#snapshot-go').addEventListener('click', () => {
    const list = snapInput.value.split(/[,\s]+/).map((s) => s.trim()).filter((s) => s !== '');
    if (list.length === 0) { fail('Snapshot: name at least one schema.table'); return; }
    action('Snapshot', 'POST', `/walcap${path}/snapshot`, { tables: list }, (r) => {
      snapForm.hidden = true;
      say(`Snapshot requested for ${list.join(', ')}${r.data && r.data.id ? ` (id ${r.data.id})` : ''}`);
    })();
  });
  $('#btn-delete').addEventListener('click', async () => {
    if (!window.confirm(`Delete connector ${name}? Its replication slot is kept: drop it with SQL if it is no longer needed.`)) return;
    try {
      await api('DELETE', path);
      location.hash = '#/';
    } catch (e) {
      fail(`Delete failed: ${e.message}`);
    }
  });

  api('GET', `${path}/config`).then(({ data }) => {
    if (gen !== generation || !data) return;
    configBody.replaceChildren(...Object.keys(data).sort().map((k) =>
      h('tr', {}, h('td', {}, k), h('td', {}, String(data[k])))));
  }).catch(() => {});

  const dd = (label, value, testid) => [h('dt', {}, label), h('dd', { testid }, value)];
  refresh = async () => {
    if (gen !== generation) return;
    let list, hist = null;
    try {
      list = (await api('GET', '/walcap/connectors')).data || [];
    } catch (e) {
      fail(`Cannot read the state: ${e.message}`);
      return;
    }
    try {
      hist = (await api('GET', `/walcap${path}/history`)).data;
    } catch { /* a connector without history yet */ }
    if (gen !== generation) return;
    const c = list.find((x) => x.name === name);
    if (!c) {
      state.textContent = 'not found';
      state.className = 'state';
      app.dataset.missing = '1';
      return;
    }
    state.textContent = c.state;
    state.className = `state ${c.state}`;
    trace.hidden = !c.trace;
    trace.textContent = c.trace ? `Last error:\n${c.trace}` : '';
    const m = c.metrics || {};
    metrics.replaceChildren(
      ...dd('Connected', m.connected ? 'yes' : 'no', 'm-connected'),
      ...dd('Events', String(eventsTotal(m)), 'm-events'),
      ...dd('Creates / updates / deletes', `${m.events_create || 0} / ${m.events_update || 0} / ${m.events_delete || 0}`, 'm-ops'),
      ...dd('Truncates / messages', `${m.events_truncate || 0} / ${m.events_message || 0}`, 'm-ops2'),
      ...dd('Transactions', String(m.committed_transactions || 0), 'm-txns'),
      ...dd('Lag (behind source)', humanMs(m.behind_source_ms), 'm-lag'),
      ...dd('Last event', m.last_event_ms ? new Date(m.last_event_ms).toISOString() : '–', 'm-last-event'),
      ...dd('Retained WAL', humanBytes(m.retained_wal_bytes), 'm-wal'),
      ...dd('Confirmed LSN', lsnText(m.confirmed_lsn), 'm-lsn'),
      ...dd('Reconnects', String(m.reconnects || 0), 'm-reconnects'),
      ...dd('Sink errors', String(m.sink_errors || 0), 'm-sink-errors'),
      ...dd('Memory (RSS)', humanBytes(m.rss_bytes), 'm-rss'));
    $('#c-snapshot').textContent = snapshotText(m);
    snapTables.replaceChildren(...(m.tables || []).map((t) => {
      const pct = t.total_rows > 0 ? Math.min(100, (100 * t.rows_scanned) / t.total_rows) : 0;
      return h('tr', { testid: 'snapshot-table', 'data-table': t.name },
        h('td', {}, t.name),
        h('td', { className: 'num' }, h('span', { className: 'progress' }, h('span', { style: `width:${pct.toFixed(0)}%` })), String(t.rows_scanned)),
        h('td', { className: 'num' }, String(t.total_rows)));
    }));
    drawChart(canvas, hist);
    app.dataset.loaded = '1';
  };
  every(() => refresh());
}

window.addEventListener('hashchange', route);
route();
