// The upload page: every chosen or dropped file becomes a tus upload
// (tus-js-client, served as vendor/tus.js from the build), with its row:
// a bar of the bytes the server acknowledged (and, lighter, those sent),
// pause/resume, cancel, and the sha256 the server reports when it is done.
// tus-js-client keeps each upload's URL in localStorage, keyed by the
// file's name, type, size, date and the endpoint, so after a reload the same
// file chosen again continues where the server stopped.
'use strict';

(function () {
  const params = new URLSearchParams(location.search);
  const endpoint = new URL(params.get('endpoint') || document.body.dataset.endpoint || '/upload/',
                           location.href).href;
  // bytes per PATCH: the bar moves when the server acknowledges one
  const chunkSize = Number(params.get('chunk')) || 16 * 1024 * 1024;

  if (typeof tus === 'undefined' || !tus.isSupported) {
    return;  // no tus-js-client (page not built) or an old browser: the plain form remains
  }
  document.getElementById('uploader').hidden = false;

  const list = document.getElementById('files');
  const drop = document.getElementById('drop');
  const pick = document.getElementById('pick');
  const pendingBox = document.getElementById('pending');
  const pendingList = document.getElementById('pending-list');

  function formatSize(n) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return (i === 0 ? String(n) : n.toFixed(n < 10 ? 2 : 1)) + ' ' + units[i];
  }

  // "sha-256=:<base64>:" (RFC 9530, possibly among other members) -> hex
  function sha256FromReprDigest(value) {
    const m = /(?:^|,)\s*sha-256=:([A-Za-z0-9+/]+={0,2}):/.exec(value || '');
    if (!m) {
      return '';
    }
    const raw = atob(m[1]);
    if (raw.length !== 32) {
      return '';
    }
    return Array.from(raw, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
  }

  // The server's digest of the finished file: Repr-Digest, or a JSON body's "sha256"
  function serverSha256(res) {
    if (!res) {
      return '';
    }
    const fromHeader = sha256FromReprDigest(res.getHeader('Repr-Digest'));
    if (fromHeader) {
      return fromHeader;
    }
    try {
      const j = JSON.parse(res.getBody() || '');
      return typeof j.sha256 === 'string' && /^[0-9a-f]{64}$/.test(j.sha256) ? j.sha256 : '';
    } catch (e) {
      return '';
    }
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) {
      e.className = cls;
    }
    if (text !== undefined) {
      e.textContent = text;
    }
    return e;
  }

  // --- unfinished uploads kept by tus-js-client from an earlier visit -------
  function showPending() {
    tus.defaultOptions.urlStorage.findAllUploads().then((entries) => {
      pendingList.textContent = '';
      const mine = entries.filter((u) => u.metadata && u.metadata.filename);
      for (const u of mine) {
        const li = el('li', 'pending-file', u.metadata.filename + ' (' + formatSize(u.size) + ')');
        li.dataset.name = u.metadata.filename;
        pendingList.appendChild(li);
      }
      pendingBox.hidden = mine.length === 0;
    });
  }

  // --- one file ------------------------------------------------------------
  function addFile(file) {
    const row = el('li', 'file');
    row.dataset.name = file.name;
    const head = el('div', 'head');
    const name = el('span', 'name', file.name);
    const size = el('span', 'size', formatSize(file.size));
    const pause = el('button', 'pause', 'Pause');
    const cancel = el('button', 'cancel', 'Cancel');
    head.append(name, size, pause, cancel);
    const bar = el('div', 'bar');
    const sentBar = el('div', 'sent');
    const ackedBar = el('div', 'acked');
    bar.append(sentBar, ackedBar);
    const status = el('div', 'status', 'starting');
    const digest = el('div', 'sha256');
    row.append(head, bar, status, digest);
    list.appendChild(row);

    let acked = 0;
    let resumedAt = null;
    let running = false;

    function setAcked(n) {
      acked = n;
      row.dataset.acked = String(n);
      ackedBar.style.width = (file.size ? (100 * n) / file.size : 100) + '%';
      status.textContent = formatSize(n) + ' of ' + formatSize(file.size) + ' acknowledged'
        + (resumedAt !== null ? ' (resumed at ' + formatSize(resumedAt) + ')' : '');
    }

    const upload = new tus.Upload(file, {
      endpoint,
      chunkSize,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      metadata: { filename: file.name, filetype: file.type || 'application/octet-stream' },
      removeFingerprintOnSuccess: true,
      onAfterResponse(req, res) {
        // HEAD of an upload found in the URL storage: where it continues
        if (req.getMethod() === 'HEAD' && res.getStatus() < 300) {
          const offset = Number(res.getHeader('Upload-Offset'));
          if (Number.isFinite(offset)) {
            resumedAt = offset;
            row.dataset.resumedAt = String(offset);
            setAcked(offset);
          }
        }
      },
      onProgress(sent) {
        sentBar.style.width = (file.size ? (100 * sent) / file.size : 100) + '%';
      },
      onChunkComplete(chunk, accepted) {
        setAcked(accepted);
      },
      onSuccess(payload) {
        running = false;
        setAcked(file.size);
        row.classList.add('done');
        row.dataset.state = 'done';
        pause.remove();
        cancel.remove();
        const sha = serverSha256(payload && payload.lastResponse);
        row.dataset.sha256 = sha;
        status.textContent = 'done: ' + formatSize(file.size)
          + (resumedAt ? ' (resumed at ' + formatSize(resumedAt) + ')' : '');
        digest.textContent = sha ? 'sha256 ' + sha : 'the server reported no sha256';
        showPending();
      },
      onError(err) {
        running = false;
        row.classList.add('failed');
        row.dataset.state = 'failed';
        pause.textContent = 'Retry';
        status.textContent = 'failed: ' + (err && err.message ? err.message.split('\n')[0] : err);
      },
    });

    function start() {
      running = true;
      row.classList.remove('failed');
      row.dataset.state = 'running';
      pause.textContent = 'Pause';
      upload.start();
    }

    pause.addEventListener('click', () => {
      if (running) {
        running = false;
        upload.abort();
        row.dataset.state = 'paused';
        pause.textContent = 'Resume';
        status.textContent = formatSize(acked) + ' of ' + formatSize(file.size) + ' acknowledged, paused';
      } else {
        start();
      }
    });

    cancel.addEventListener('click', () => {
      running = false;
      // terminate: the server drops what it holds, the URL storage forgets it
      upload.abort(true).catch(() => {}).then(() => {
        row.remove();
        showPending();
      });
    });

    // an upload of this file started before (this page, or before a reload)
    upload.findPreviousUploads().then((previous) => {
      if (previous.length > 0) {
        previous.sort((a, b) => String(b.creationTime).localeCompare(String(a.creationTime)));
        upload.resumeFromPreviousUpload(previous[0]);
        status.textContent = 'continuing an earlier upload';
      }
      for (const li of pendingList.querySelectorAll('li')) {
        if (li.dataset.name === file.name) {
          li.remove();
        }
      }
      pendingBox.hidden = pendingList.children.length === 0;
      start();
    });
  }

  function addFiles(files) {
    for (const f of files) {
      addFile(f);
    }
  }

  pick.addEventListener('change', () => {
    addFiles(pick.files);
    pick.value = '';
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    addFiles(e.dataTransfer.files);
  });

  showPending();
}());
