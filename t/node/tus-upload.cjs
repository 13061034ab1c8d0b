// One upload with the real tus-js-client (4.x, in node) to a tus endpoint:
// what t/022-tus.t runs against the module.  NODE_PATH names the
// node_modules that `make npm` installs (build/npm/).
//
//   node upload.cjs --endpoint URL --file PATH [--name NAME]
//        [--deferred] [--parallel N] [--chunk BYTES]
//        [--storage FILE [--resume]] [--kill-after BYTES]
//
// --deferred      the file as a stream of unknown length (uploadLengthDeferred)
// --parallel N    N partial uploads and their concatenation (parallelUploads)
// --chunk BYTES   chunkSize (a PATCH per chunk); default: one PATCH
// --storage FILE  tus-js-client's FileUrlStorage, to resume after a kill
// --resume        start from the upload the storage has for this file
// --kill-after B  SIGKILL this process once B bytes were sent: no cleanup
//
// Prints one JSON line per event (url, resume, success, error); exits 0 on
// success, 1 on error.
'use strict';

const fs = require('fs');
const path = require('path');
const { PassThrough } = require('stream');
const tus = require('tus-js-client');

function parse(argv) {
  const o = { parallel: 1, chunk: Infinity, deferred: false, resume: false };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--endpoint': o.endpoint = next(); break;
      case '--file': o.file = next(); break;
      case '--name': o.name = next(); break;
      case '--deferred': o.deferred = true; break;
      case '--parallel': o.parallel = Number(next()); break;
      case '--chunk': o.chunk = Number(next()); break;
      case '--storage': o.storage = next(); break;
      case '--resume': o.resume = true; break;
      case '--kill-after': o.killAfter = Number(next()); break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  if (!o.endpoint || !o.file) throw new Error('--endpoint and --file are needed');
  return o;
}

function say(event, fields) {
  process.stdout.write(JSON.stringify({ event, ...fields }) + '\n');
}

function main() {
  const o = parse(process.argv);
  let input;

  if (o.deferred) {
    // a stream that is no fs.ReadStream: its length is not known up front
    input = fs.createReadStream(o.file).pipe(new PassThrough());
    if (!Number.isFinite(o.chunk)) o.chunk = 1 << 20;
  } else {
    input = fs.createReadStream(o.file);
  }

  const options = {
    endpoint: o.endpoint,
    metadata: { filename: o.name || path.basename(o.file), filetype: 'application/octet-stream' },
    chunkSize: o.chunk,
    uploadLengthDeferred: o.deferred,
    parallelUploads: o.parallel,
    retryDelays: null,
    removeFingerprintOnSuccess: true,
    onProgress(sent) {
      if (o.killAfter !== undefined && sent >= o.killAfter) {
        process.kill(process.pid, 'SIGKILL');
      }
    },
    onUploadUrlAvailable() {
      say('url', { url: upload.url, parts: upload._parallelUploadUrls || null });
    },
    onError(err) {
      say('error', { message: String(err && err.message ? err.message : err) });
      process.exit(1);
    },
    onSuccess() {
      say('success', { url: upload.url });
      process.exit(0);
    },
  };

  if (o.storage) {
    options.urlStorage = new tus.FileUrlStorage(o.storage);
  }

  const upload = new tus.Upload(input, options);

  if (!o.resume) {
    upload.start();
    return;
  }

  upload.findPreviousUploads().then((previous) => {
    if (previous.length > 0) {
      say('resume', { url: previous[0].uploadUrl || null,
                      parts: previous[0].parallelUploadUrls || null });
      upload.resumeFromPreviousUpload(previous[0]);
    }
    upload.start();
  }, (err) => {
    say('error', { message: String(err) });
    process.exit(1);
  });
}

try {
  main();
} catch (err) {
  say('error', { message: String(err.message) });
  process.exit(2);
}
