// A tus 1.0.0 server for the tests: @tus/server with its FileStore (npm),
// as a third party would run it, on 127.0.0.1.  The creation endpoint is
// /upload/ (any path below it creates, as @tus/server does), the uploads'
// bytes are <store>/<id>; with --html DIR it also serves DIR's files at /
// (the browser page, same origin).
//
//   node t/node/tus-server.mjs --port 0 --store DIR [--html DIR] [--digest] [--log FILE]
//                              [--max-size BYTES]
//
// Prints "listening <port>" once it accepts connections.  --digest adds
// what @tus/server lacks and bigupload sends: the finished file's sha256 as
// Repr-Digest on the answer that completes it (hashed from the store).
// --log appends one line per request: "<method> <url> <status>
// <Upload-Offset sent> <Content-Length sent> <Upload-Metadata sent>" ("-"
// for a header not sent).  --max-size is @tus/server's maxSize (Tus-Max-Size).
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { load } from './modules.mjs';

const args = { port: '0', store: '', html: '', log: '', 'max-size': '', digest: false };
for (let i = 2; i < process.argv.length; i++) {
    const a = process.argv[i].replace(/^--/, '');
    if (a === 'digest') {
        args.digest = true;
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

const server = http.createServer((req, res) => {
    if (args.log) {
        res.on('finish', () => {
            fs.appendFileSync(args.log, `${req.method} ${req.url} ${res.statusCode} `
                + `${req.headers['upload-offset'] ?? '-'} ${req.headers['content-length'] ?? '-'} `
                + `${req.headers['upload-metadata'] ?? '-'}\n`);
        });
    }
    if (req.url === '/upload' || req.url.startsWith('/upload/')) {
        tus.handle(req, res);
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
