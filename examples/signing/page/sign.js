// The e-signing demo's pages: start a signing session, run the hosted
// liveness check in an iframe, then upload and sign the document.
const $ = (id) => document.getElementById(id);
const showError = (msg) => { $('error').textContent = msg; };

// fileBase64 returns a chosen file as plain base64, or undefined.
async function fileBase64(file) {
  if (!file || !file.size) return undefined;
  const bytes = new Uint8Array(await file.arrayBuffer());
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

async function start(ev) {
  ev.preventDefault();
  const form = new FormData(ev.target);
  const res = await fetch('/api/signing/sessions', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      document_id: form.get('document_id'),
      signer: form.get('signer'),
      reference_image_b64: await fileBase64(form.get('reference')),
    }),
  });
  const body = await res.json();
  if (!res.ok) { showError(body.error || 'Could not start'); return; }
  sessionStorage.setItem('consent', body.consent);
  sessionStorage.setItem('document_id', form.get('document_id'));
  location.href = body.signer_url;
}

function signerPage() {
  const q = new URLSearchParams(location.search);
  const sid = q.get('s'), token = q.get('t');
  $('doc').textContent = sessionStorage.getItem('document_id') || '';
  $('consent').textContent = sessionStorage.getItem('consent') || '';
  $('frame').src = '/check?s=' + encodeURIComponent(q.get('ls')) + '&t=' + encodeURIComponent(q.get('lt'));
  window.addEventListener('message', (ev) => {
    if (ev.origin !== location.origin || !ev.data || ev.data.type !== 'liveness_result') return;
    if (ev.data.passed) {
      $('check').hidden = true;
      $('sign').hidden = false;
    } else {
      showError('The liveness check did not pass; the document cannot be signed.');
    }
  });
  $('signbtn').addEventListener('click', async () => {
    const file = $('file').files[0];
    if (!file) { showError('Choose a file first.'); return; }
    const res = await fetch('/api/signing/sessions/' + encodeURIComponent(sid) + '/complete', {
      method: 'POST',
      headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/octet-stream' },
      body: await file.arrayBuffer(),
    });
    const body = await res.json();
    if (!res.ok) { showError(body.error || 'Signing failed'); return; }
    $('sign').hidden = true;
    $('done').hidden = false;
    $('receipt').textContent = JSON.stringify(body, null, 2);
  });
}

if ($('start')) $('start').addEventListener('submit', (ev) => { start(ev).catch((e) => showError(String(e))); });
if ($('frame')) signerPage();
