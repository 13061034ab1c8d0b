// tus-js-client with the IETF resumable-upload draft, for t/204-tus-js-ietf.t:
//
//   node upload.cjs <protocol> <endpoint> <file> <url-file> [kill-at]
//
// <protocol>: ietf-draft-03 (interop 5) or ietf-draft-05 (interop 6).
// The upload resource's URL is kept in <url-file> as soon as the client
// knows it; a run that finds one resumes it (HEAD, then PATCH) instead of
// creating a new upload.  With kill-at (a fraction, 0.5), the process
// SIGKILLs itself once that much of the file went out: a client that dies
// mid-append, for the next run to resume.
'use strict'

const fs = require('node:fs')
const path = require('node:path')
const { createRequire } = require('node:module')
// tus-js-client from the project's npm install (make npm: build/npm/, or
// $BIGUPLOAD_BUILD/npm/ for the build under test)
const modules = process.env.BIGUPLOAD_NODE_MODULES
  || path.join(process.env.BIGUPLOAD_BUILD || path.join(__dirname, '..', '..', 'build'),
               'npm', 'node_modules')
const tus = createRequire(path.join(modules, 'x.js'))('tus-js-client')

const [protocol, endpoint, file, urlFile, killAt] = process.argv.slice(2)
const data = fs.readFileSync(file)

const options = {
  endpoint,
  protocol,
  retryDelays: [],            // fail loudly: the test says what must happen
  storeFingerprintForResuming: false,
  onUploadUrlAvailable() {
    fs.writeFileSync(urlFile, upload.url)
  },
  onProgress(sent, total) {
    if (killAt && sent >= total * Number(killAt)) {
      process.kill(process.pid, 'SIGKILL')
    }
  },
  onError(err) {
    console.log(`error: ${err.message}`)
    process.exit(1)
  },
  onSuccess() {
    console.log(`uploaded ${data.length} bytes to ${upload.url}`)
    process.exit(0)
  },
}

if (fs.existsSync(urlFile)) {
  options.uploadUrl = fs.readFileSync(urlFile, 'utf8')
  console.log(`resuming ${options.uploadUrl}`)
}

const upload = new tus.Upload(data, options)
upload.start()
