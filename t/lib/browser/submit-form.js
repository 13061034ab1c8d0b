// Submits the page's form in Debian's chromium, JavaScript off, with the
// files given, and prints what the browser received for the POST as JSON:
// {"status": N, "body": "..."}.  Used by t/020-form.t.
//
//     node t/lib/browser/submit-form.js <page url> <file> ...
'use strict';

// playwright-core from the project's npm install (make npm: build/npm/, or
// $BIGUPLOAD_BUILD/npm/ for the build under test)
const path = require('node:path');
const { createRequire } = require('node:module');
const modules = process.env.BIGUPLOAD_NODE_MODULES
    || path.join(process.env.BIGUPLOAD_BUILD || path.join(__dirname, '..', '..', '..', 'build'),
                 'npm', 'node_modules');
const { chromium } = createRequire(path.join(modules, 'x.js'))('playwright-core');

async function main() {
    const [url, ...files] = process.argv.slice(2);
    if (!url || files.length === 0) {
        throw new Error('usage: submit-form.js <page url> <file> ...');
    }

    const browser = await chromium.launch({
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        // root has no user namespace sandbox here
        args: ['--no-sandbox'],
    });

    try {
        const context = await browser.newContext({ javaScriptEnabled: false });
        const page = await context.newPage();

        await page.goto(url);
        await page.fill('input[name=note]', 'sent by chromium');
        await page.setInputFiles('input[name=files]', files);

        const [response] = await Promise.all([
            page.waitForResponse((r) => r.request().method() === 'POST', { timeout: 90000 }),
            page.click('button[type=submit]'),
        ]);

        const body = await response.text();
        process.stdout.write(JSON.stringify({ status: response.status(), body }) + '\n');
    } finally {
        await browser.close();
    }
}

main().catch((e) => {
    process.stderr.write(`submit-form: ${e.stack || e}\n`);
    process.exit(1);
});
