// A tus 1.0.0 server for the tests: @tus/server with its FileStore (npm),
// as a third party would run it, on 127.0.0.1.  The creation endpoint is
// /upload/ (any path below it creates, as @tus/server does), the uploads'
// bytes are <store>/<id>; with --html DIR it also serves DIR's files at /
// (the browser page, same origin).
//
//   node t/node/tus-server.mjs --port 0 --store DIR [--html DIR] [--digest] [--log FILE]
//                              [--max-size BYTES] [--checksum [--refuse-checksum N]]
//
// Prints "listening <port>" once it accepts connections.  --digest adds
// what @tus/server lacks and bigupload sends: the finished file's sha256 as
// Repr-Digest on the answer that completes it (hashed from the store).
// --log appends one line per request: "<method> <url> <status>
// <Upload-Offset sent> <Content-Length sent> <Upload-Metadata sent>" ("-"
// for a header not sent).  --max-size is @tus/server's maxSize (Tus-Max-Size).
// --checksum adds the checksum extension @tus/server lacks (sha1, sha256,
// md5): a PATCH's body is read whole, checked against its Upload-Checksum
// (460 and dropped when it differs) and only then handed to @tus/server;
// --refuse-checksum N answers the Nth checked PATCH 460 whatever it holds.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { load } from './modules.mjs';

const args = { port: '0', store: '', html: '', log: '', 'max-size': '', 'refuse-checksum': '',
               digest: false, checksum: false };
for (let i = 2; i < process.argv.length; i++) {
    const a = process.argv[i].replace(/^--/, '');
    if (a === 'digest' || a === 'checksum') {
        args[a] = true;
    } else if (a in args) {
        args[a] = process.argv[++i];
    } else {
        console.error(`tus-server: unknown argument ${process.argv[i]}`);
        process.exit(2);
    }
}
if (args.html) {
    args.html = path.resolve(args.html);
}
if (!args.store) {
    console.error('tus-server: --store DIR is required');
    process.exit(2);
}

const { Server } = await load('@tus/server');
const { FileStore } = await load('@tus/file-store');

function sha256File(file) {
    return new Promise((resolve, reject) => {
        const h = crypto.createHash('sha256');
        fs.createReadStream(file).on('error', reject).on('data', (d) => h.update(d))
            .on('end', () => resolve(h.digest()));
    });
}

const tus = new Server({
    path: '/upload',
    datastore: new FileStore({ directory: args.store }),
    ...(args['max-size'] ? { maxSize: Number(args['max-size']) } : {}),
    exposedHeaders: ['Repr-Digest'],
    async onUploadFinish(req, upload) {
        if (!args.digest) {
            return {};
        }
        const digest = await sha256File(path.join(args.store, upload.id));
        return { headers: { 'Repr-Digest': `sha-256=:${digest.toString('base64')}:` } };
    },
});

const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
                '.map': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml' };

function serveStatic(req, res) {
    const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = path.join(args.html, rel.endsWith('/') ? rel + 'index.html' : rel);
    if (!args.html || !file.startsWith(args.html) || !fs.existsSync(file)
        || !fs.statSync(file).isFile()) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('not found\n');
        return;
    }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
}

const checksumAlgorithms = { sha1: 'sha1', sha256: 'sha256', md5: 'md5' };
let checkedPatches = 0;

// --checksum: the request through handleWeb, with the body checked first.
async function handleChecked(req, res) {
    const chunks = [];
    for await (const c of req) {
        chunks.push(c);
    }
    const body = Buffer.concat(chunks);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
        headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    }
    const send = async (response) => {
        const out = {};
        response.headers.forEach((v, k) => { out[k] = v; });
        res.writeHead(response.status, out);
        res.end(Buffer.from(await response.arrayBuffer()));
    };
    const sum = req.headers['upload-checksum'];
    if (req.method === 'PATCH' && sum !== undefined) {
        checkedPatches++;
        const [alg, b64] = String(sum).split(' ');
        if (!(alg in checksumAlgorithms) || !b64) {
            res.writeHead(400, { 'Tus-Resumable': '1.0.0' });
            res.end('bad Upload-Checksum\n');
            return;
        }
        const got = crypto.createHash(checksumAlgorithms[alg]).update(body).digest('base64');
        if (got !== b64 || checkedPatches === Number(args['refuse-checksum'])) {
            res.writeHead(460, { 'Tus-Resumable': '1.0.0' });
            res.end('Checksum Mismatch\n');
            return;
        }
    }
    const web = new Request(`http://${req.headers.host}${req.url}`, {
        method: req.method, headers,
        body: ['GET', 'HEAD', 'OPTIONS'].includes(req.method) ? undefined : body,
    });
    const response = await tus.handleWeb(web);
    if (req.method === 'OPTIONS') {
        response.headers.set('Tus-Extension', `${response.headers.get('Tus-Extension')},checksum`);
        response.headers.set('Tus-Checksum-Algorithm', Object.keys(checksumAlgorithms).join(','));
    }
    await send(response);
}

const server = http.createServer((req, res) => {
    if (args.log) {
        res.on('finish', () => {
            fs.appendFileSync(args.log, `${req.method} ${req.url} ${res.statusCode} `
                + `${req.headers['upload-offset'] ?? '-'} ${req.headers['content-length'] ?? '-'} `
                + `${req.headers['upload-metadata'] ?? '-'}\n`);
        });
    }
    if (req.url === '/upload' || req.url.startsWith('/upload/')) {
        if (args.checksum) {
            handleChecked(req, res).catch((e) => { res.writeHead(500); res.end(String(e)); });
        } else {
            tus.handle(req, res);
        }
    } else {
        serveStatic(req, res);
    }
});
server.listen(Number(args.port), '127.0.0.1', () => {
    console.log(`listening ${server.address().port}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => server.close(() => process.exit(0)));
}
