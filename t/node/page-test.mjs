// The upload page in a real browser: Debian's chromium (headless, a fresh
// profile) driven by playwright-core.  Opens the page, chooses the files,
// reloads the page once the first file's acknowledged bytes pass
// --reload-at, chooses them again, waits until every file is done, and
// prints one JSON object: per file its name, the sha256 the page shows, the
// offset the upload resumed at, and whether the unfinished uploads were
// listed after the reload.  Upload throughput is limited through the
// DevTools protocol (--throttle bytes/s) so that the reload comes mid-upload.
//
//   node t/node/page-test.mjs --url http://127.0.0.1:PORT/?chunk=262144
//        --screenshot build/page.png [--throttle 1048576] [--reload-at 1048576] FILE...
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { load } from './modules.mjs';

const opt = { url: '', screenshot: '', throttle: '1048576', 'reload-at': '1048576', timeout: '120' };
const files = [];
for (let i = 2; i < process.argv.length; i++) {
    const a = process.argv[i];
    if (a.startsWith('--') && a.slice(2) in opt) {
        opt[a.slice(2)] = process.argv[++i];
    } else {
        files.push(path.resolve(a));
    }
}
if (!opt.url || files.length === 0) {
    console.error('page-test: --url and at least one file are required');
    process.exit(2);
}

const playwright = await load('playwright-core');
const chromium = playwright.chromium ?? playwright.default.chromium;  // a CommonJS package
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bigupload-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 900, height: 700 },
});
const deadline = Date.now() + Number(opt.timeout) * 1000;
const result = { files: [] };

async function throttle(page) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
        offline: false, latency: 0, downloadThroughput: -1,
        uploadThroughput: Number(opt.throttle),
    });
}

async function rows(page) {
    return page.$$eval('#files li.file', (lis) => lis.map((li) => ({
        name: li.dataset.name, state: li.dataset.state || '', acked: Number(li.dataset.acked || 0),
        sha256: li.dataset.sha256 || '', resumedAt: li.dataset.resumedAt === undefined
            ? null : Number(li.dataset.resumedAt),
        text: li.innerText,
    })));
}

async function until(page, what, test) {
    for (;;) {
        const r = await rows(page);
        if (test(r)) {
            return r;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out waiting for ${what}: ${JSON.stringify(r)}`);
        }
        await page.waitForTimeout(50);
    }
}

try {
    let page = context.pages()[0] || await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') console.error('page:', m.text()); });
    await throttle(page);
    await page.goto(opt.url);
    await page.setInputFiles('#pick', files);
    const before = await until(page, 'the first acknowledged bytes',
        (r) => r.length === files.length && r.some((x) => x.acked >= Number(opt['reload-at'])));
    result.beforeReload = before.map((x) => ({ name: x.name, acked: x.acked, state: x.state }));

    await page.reload();
    await throttle(page);
    result.pendingAfterReload = await page.$$eval('#pending-list li', (lis) => lis.map((li) => li.dataset.name));
    await page.setInputFiles('#pick', files);
    const done = await until(page, 'every file done',
        (r) => r.length === files.length && r.every((x) => x.state === 'done' || x.state === 'failed'));
    if (opt.screenshot) {
        await page.screenshot({ path: opt.screenshot, fullPage: true });
    }
    result.pendingAtEnd = await page.$$eval('#pending-list li', (lis) => lis.length);
    result.files = done.map((x) => ({ name: x.name, state: x.state, sha256: x.sha256,
                                     resumedAt: x.resumedAt, text: x.text }));
    console.log(JSON.stringify(result));
} finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
}
