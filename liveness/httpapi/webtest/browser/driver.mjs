// Drives headless Chromium (Debian's /usr/bin/chromium) through one browser
// test job read as JSON from standard input, and writes what it observed as
// JSON to standard output. Progress goes to standard error.
//
// Job: {chromium, video, scenario: "iframe"|"page"|"sdk"|"custom", url, denyCamera,
//       nativeChannels, expectRedirect, timeoutMs, settleMs, screenshots, name,
//       width, height, click, clicks, frame, until, untilText}
// The fake camera plays job.video (an MJPEG file). Only loopback traffic.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const job = JSON.parse(fs.readFileSync(0, 'utf8'));
const started = Date.now();
const deadline = started + (job.timeoutMs || 60000);
const out = {
  version: '',
  events: [],
  requests: [],
  console: [],
  pageErrors: [],
  screenshots: [],
  checkHeaders: null,
  finalURL: '',
  untilText: '',
  error: '',
};
const log = (...a) => process.stderr.write(`[driver +${Date.now() - started}ms] ${a.join(' ')}\n`);

// initScript runs in every frame before any of its scripts. It reports, as
// console messages starting with __OL__, what the test asserts on: CSP
// violations, liveness_result messages, the native channels, the text of
// the page's live regions, and the challenge icon.
function initScript(cfg) {
  return `(() => {
  const cfg = ${JSON.stringify(cfg)};
  const send = (kind, data) => console.debug('__OL__' + JSON.stringify({ kind, data, href: location.href, top: window === window.top, t: Date.now() }));
  document.addEventListener('securitypolicyviolation', (e) => send('csp', {
    directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, sample: e.sample,
  }));
  window.addEventListener('message', (e) => {
    if (e.data && (e.data.type === 'liveness_result' || e.data.type === 'liveness_retry')) send('message', { origin: e.origin, data: e.data });
  });
  if (cfg.nativeChannels) {
    window.ReactNativeWebView = { postMessage: (s) => send('react_native', s) };
    window.LivenessResult = { postMessage: (s) => send('flutter', s) };
  }
  if (cfg.denyCamera && navigator.mediaDevices) {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  }
  const watch = () => {
    if (!document.getElementById('screen-run')) return; // not the hosted page
    const a11y = {};
    for (const id of ['prompt', 'feedback', 'status']) {
      const el = document.getElementById(id);
      a11y[id] = { live: el.getAttribute('aria-live'), role: el.getAttribute('role') };
    }
    const start = document.getElementById('start');
    a11y.start = { tag: start.tagName, type: start.getAttribute('type') };
    a11y.video = { playsinline: document.getElementById('video').hasAttribute('playsinline') };
    send('a11y', a11y);
    for (const id of ['prompt', 'feedback', 'status', 'result-title', 'result-body', 'error-title', 'error-body', 'timer-text', 'privacy', 'start']) {
      const el = document.getElementById(id);
      new MutationObserver(() => send('text', { id, text: el.textContent })).observe(el, { childList: true, characterData: true, subtree: true });
    }
    const icon = document.getElementById('challenge-icon');
    new MutationObserver(() => send('icon', { src: icon.getAttribute('src') })).observe(icon, { attributes: true, attributeFilter: ['src'] });
    for (const el of document.querySelectorAll('.screen')) {
      new MutationObserver(() => { if (!el.hidden) send('screen', { id: el.id }); }).observe(el, { attributes: true, attributeFilter: ['hidden'] });
    }
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch);
  else watch();
})();`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const has = (pred) => out.events.some(pred);

async function waitUntil(what, pred, ms, poll) {
  const until = Math.min(deadline, Date.now() + ms);
  while (Date.now() < until) {
    if (poll) await poll();
    if (pred()) return true;
    await sleep(50);
  }
  log('timed out waiting for', what);
  return false;
}

let page;
async function shot(step) {
  const file = path.join(job.screenshots, `${job.name}-${step}.png`);
  try {
    await page.screenshot({ path: file, timeout: 10000 });
    out.screenshots.push(file);
    log('screenshot', file);
  } catch (err) {
    log('screenshot failed', step, String(err));
  }
}

const isCheckEvent = (e) => /\/check(\?|$)/.test(e.href);
const resultShown = () => has((e) => e.kind === 'screen' && (e.data.id === 'screen-result' || e.data.id === 'screen-error'));
const redirected = () =>
  job.expectRedirect &&
  (page.url().startsWith(job.expectRedirect) || page.frames().some((f) => f.url().startsWith(job.expectRedirect)));
const sdkDone = () => has((e) => e.kind === 'sdk' || e.kind === 'sdk_error');

async function main() {
  const args = [
    '--headless',
    '--no-sandbox',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${job.video}`,
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-gpu',
    // The partner pages use http://localhost, the API http://127.0.0.1:
    // two sites, both on the loopback interface.
    '--host-resolver-rules=MAP localhost 127.0.0.1',
  ];
  const browser = await chromium.launch({ executablePath: job.chromium, headless: true, args, timeout: 30000 });
  out.version = browser.version();
  log('chromium', out.version);
  try {
    const context = await browser.newContext({
      viewport: { width: job.width || 480, height: job.height || 900 },
      deviceScaleFactor: 1,
      locale: 'en-US',
      serviceWorkers: 'block',
    });
    await context.addInitScript({ content: initScript({ nativeChannels: !!job.nativeChannels, denyCamera: !!job.denyCamera }) });
    page = await context.newPage();
    page.on('console', (msg) => {
      const text = msg.text();
      if (text.startsWith('__OL__')) {
        try {
          out.events.push(JSON.parse(text.slice(6)));
        } catch {
          // ignore a malformed report
        }
      } else if (msg.type() === 'error' || msg.type() === 'warning') {
        out.console.push({ type: msg.type(), text, url: msg.location().url });
      }
    });
    page.on('pageerror', (err) => out.pageErrors.push(String(err && err.stack ? err.stack : err)));
    const reqs = new Map();
    page.on('request', (req) => {
      if (!/\/v1\/(sessions|limits)/.test(req.url())) return;
      const r = { method: req.method(), url: req.url(), t: Date.now(), bytes: (req.postDataBuffer() || Buffer.alloc(0)).length, status: 0, failure: '' };
      reqs.set(req, r);
      out.requests.push(r);
    });
    page.on('requestfinished', async (req) => {
      const r = reqs.get(req);
      if (!r) return;
      try {
        const res = await req.response();
        r.status = res ? res.status() : 0;
      } catch {
        // the response vanished with its frame
      }
    });
    page.on('requestfailed', (req) => {
      const r = reqs.get(req);
      if (r) r.failure = (req.failure() && req.failure().errorText) || 'failed';
    });
    page.on('response', async (res) => {
      if (res.request().resourceType() === 'document' && /\/check\?/.test(res.url()) && !out.checkHeaders) {
        out.checkHeaders = await res.allHeaders();
      }
    });

    if (job.scenario === 'custom') {
      await page.goto(job.url, { waitUntil: 'load' });
      // job.frame: the selectors are inside this iframe of the page.
      const root = job.frame ? page.frameLocator(job.frame) : page;
      if (job.frame) await root.locator('body').waitFor({ timeout: 10000 });
      await sleep(500);
      await shot('intro');
      const clicks = [...(job.click ? [job.click] : []), ...(job.clicks || [])];
      for (const [i, sel] of clicks.entries()) {
        await root.locator(sel).click({ timeout: Math.max(1000, Math.min(30000, deadline - Date.now())) });
        log('clicked', sel);
        if (i < clicks.length - 1) {
          await sleep(1500);
          await shot('click' + (i + 1));
        }
      }
      const until = root.locator(job.until);
      let text = '';
      await waitUntil(`"${job.untilText}" in ${job.until}`, () => text.includes(job.untilText), deadline - Date.now(), async () => {
        text = (await until.textContent({ timeout: 1000 }).catch(() => '')) || '';
      });
      out.untilText = text;
      await shot('result');
    } else if (job.scenario === 'sdk') {
      await page.goto(job.url, { waitUntil: 'load' });
      await waitUntil('the first challenge', () => has((e) => e.kind === 'sdk_challenge') || sdkDone(), 20000);
      await sleep(1200);
      await shot('prompt');
      await waitUntil('the SDK result', sdkDone, deadline - Date.now());
      await shot('result');
    } else {
      await page.goto(job.url, { waitUntil: 'load' });
      const root = job.scenario === 'iframe' ? page.frameLocator('#check') : page;
      const start = root.locator('#start');
      await waitUntil('the intro', () => has((e) => e.kind === 'screen' && isCheckEvent(e) && (e.data.id === 'screen-intro' || e.data.id === 'screen-error' || e.data.id === 'screen-result')), 20000);
      await shot('intro');
      if (has((e) => e.kind === 'screen' && e.data.id === 'screen-intro')) {
        // Keyboard activation: focus the button, press Enter.
        await start.focus({ timeout: 10000 });
        await page.keyboard.press('Enter');
        await waitUntil('a challenge prompt', () => has((e) => e.kind === 'icon' && !/camera\.svg$/.test(e.data.src)) || resultShown() || redirected(), 20000);
        if (!resultShown()) {
          await sleep(1200);
          await shot('prompt');
        }
      }
      await waitUntil('the result', () => resultShown() || redirected(), deadline - Date.now());
      if (resultShown()) {
        await sleep(300);
        await shot('result');
      }
      if (job.expectRedirect) {
        await waitUntil('the redirect', redirected, 15000);
        await sleep(300);
        await shot('redirect');
      }
    }
    if (job.settleMs) await sleep(job.settleMs);
    out.finalURL = page.url();
    out.frameURLs = page.frames().map((f) => f.url());
  } finally {
    await browser.close();
  }
}

try {
  await main();
} catch (err) {
  out.error = String(err && err.stack ? err.stack : err);
  log('error', out.error);
}
process.stdout.write(JSON.stringify(out));
