// tests/integration/http_server.js — the HTTP sink's receiver in the tests
// (t_http_sink.sh): a real HTTP (or HTTPS) server on 127.0.0.1 that stores
// what it accepts and fails on demand.
//
//   node http_server.js --out FILE --log FILE [--tls CERT KEY]
//
// It listens on a free port and prints it on stdout, one line, once
// listening.  Environment: HTTP_EXPECT_AUTH, when set, is the Authorization
// value every POST must carry (else 401); it is compared, never written.
//
// POST to any path but /_ctl: the body, whole and as received, is appended
// to --out when the answer is 2xx (and only then).  One JSON line per
// request goes to --log: {"n", "path", "status", "bytes", "auth": "ok" |
// "missing" | "wrong" | "unchecked", "ctype", "xtest" (the X-Test header),
// "ua", "action" (the keys of the action it took)}; an answer that never went out (dropped, or the client
// gone before it) has status 0.
//
// Failures on demand: POST /_ctl with a JSON array of actions, queued; each
// later request takes the next one (none left: 200):
//   {"status": 503, "body": "text", "retryAfter": "1"}  answer that
//   {"sleep": MS}             answer 200 after MS ms (if the client is still there)
//   {"drop": true}            destroy the connection once the request's
//                             first bytes of body arrived (mid-request)
//   {"hold": true}            answer nothing until a POST /_ctl with
//                             {"release": true} (as the array's only
//                             element), then 200
// GET /_ctl answers {"requests": N, "stored": N, "queued": N, "held": N}.
'use strict';

const fs = require('fs');
const http = require('http');
const https = require('https');

const args = process.argv.slice(2);
let out = null, log = null, tls = null;
for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out') out = args[++i];
    else if (args[i] === '--log') log = args[++i];
    else if (args[i] === '--tls') { tls = {cert: fs.readFileSync(args[i + 1]), key: fs.readFileSync(args[i + 2])}; i += 2; }
    else { console.error(`http_server.js: unknown argument ${args[i]}`); process.exit(2); }
}
if (!out || !log) { console.error('http_server.js: --out FILE --log FILE are required'); process.exit(2); }

const expectAuth = process.env.HTTP_EXPECT_AUTH || null;
const queue = [];
const held = [];
let requests = 0, stored = 0;

function note(entry) {
    fs.appendFileSync(log, JSON.stringify(entry) + '\n');
}

function answer(req, res, entry, status, body, headers) {
    if (res.destroyed || req.socket.destroyed) {
        entry.status = 0;
        entry.gone = true;
        note(entry);
        return;
    }
    if (status >= 200 && status <= 299) {
        fs.appendFileSync(out, entry.body);
        stored++;
    }
    entry.status = status;
    delete entry.body;
    entry.bytes = entry.bytes || 0;
    note(entry);
    res.writeHead(status, Object.assign({'Content-Type': 'text/plain'}, headers || {}));
    res.end(body || '');
}

function control(req, res, chunks) {
    if (req.method === 'GET') {
        res.writeHead(200, {'Content-Type': 'application/json'});
        res.end(JSON.stringify({requests, stored, queued: queue.length, held: held.length}) + '\n');
        return;
    }
    let actions;
    try { actions = JSON.parse(Buffer.concat(chunks).toString()); } catch (e) { actions = null; }
    if (!Array.isArray(actions)) { res.writeHead(400); res.end('expected a JSON array\n'); return; }
    if (actions.length === 1 && actions[0].release) {
        const h = held.splice(0);
        for (const f of h) f();
    } else
        queue.push(...actions);
    res.writeHead(200);
    res.end('ok\n');
}

function handle(req, res) {
    const chunks = [];
    const isCtl = req.url === '/_ctl';
    const entry = {};
    let action = null;
    if (!isCtl) {
        requests++;
        action = queue.shift() || null;
        const auth = req.headers['authorization'];
        Object.assign(entry, {
            n: requests, path: req.url, status: null, bytes: 0,
            auth: expectAuth === null ? 'unchecked' : auth === undefined ? 'missing' : auth === expectAuth ? 'ok' : 'wrong',
            ctype: req.headers['content-type'] || null, xtest: req.headers['x-test'] || null,
            ua: req.headers['user-agent'] || null,
            // what was asked, not the body it answers with (a test may put a secret there)
            action: action && Object.keys(action).filter((k) => k !== 'body').join(','),
        });
    }
    req.on('data', (c) => {
        if (action && action.drop) {
            entry.status = 0;
            entry.dropped = true;
            note(entry);
            req.socket.destroy();
            action = {dropped: true};
            return;
        }
        chunks.push(c);
    });
    req.on('end', () => {
        if (isCtl) return control(req, res, chunks);
        if (action && action.dropped) return;
        entry.body = Buffer.concat(chunks);
        entry.bytes = entry.body.length;
        if (entry.auth === 'missing' || entry.auth === 'wrong')
            return answer(req, res, entry, 401, 'unauthorized\n');
        if (!action)
            return answer(req, res, entry, 200, 'ok\n');
        if (action.status) {
            const h = action.retryAfter !== undefined ? {'Retry-After': String(action.retryAfter)} : {};
            return answer(req, res, entry, action.status, action.body || '', h);
        }
        if (action.sleep)
            return setTimeout(() => answer(req, res, entry, 200, 'ok\n'), action.sleep);
        if (action.hold)
            return held.push(() => answer(req, res, entry, 200, 'ok\n'));
        return answer(req, res, entry, 200, 'ok\n');
    });
}

const server = tls ? https.createServer(tls, handle) : http.createServer(handle);
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => {
    process.stdout.write(server.address().port + '\n');
});
process.on('SIGTERM', () => process.exit(0));
