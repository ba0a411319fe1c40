// Hosted liveness page: /check?s={session_id}&t={client_token}[&lang=xx]
//
// Reads the session with the client token, explains the camera use, runs the
// check with the browser SDK, then reports the result: a
// {"type":"liveness_result", ...} message to the parent frame (to the
// session's parent_origin when one is configured), to this window, to
// window.ReactNativeWebView and to a LivenessResult JavaScript channel
// (Flutter) when present; then shows the result or follows redirect_url.

import { LivenessClient, LivenessError } from './sdk/liveness.js';
import { pickLanguage, translator, translateDocument, has } from './i18n.js';

const ICONS = {
  BLINK: 'blink',
  SMILE: 'smile',
  TURN_LEFT: 'turn_left',
  TURN_RIGHT: 'turn_right',
  OPEN_MOUTH: 'open_mouth',
  LOOK_DOWN: 'look_down',
  RAISE_EYEBROWS: 'raise_eyebrows',
};
const FINAL = new Set(['passed', 'failed', 'expired', 'cancelled']);
const REDIRECT_DELAY_MS = 1500;

const params = new URLSearchParams(location.search);
const lang = pickLanguage(params.get('lang'), navigator.languages || [navigator.language]);
const t = translator(lang);
const sessionId = params.get('s') || '';
const clientToken = params.get('t') || '';
const client = new LivenessClient({ apiUrl: new URL('./', location.href).href });
const $ = (id) => document.getElementById(id);

let session = null;
let controller = null;
let currentChallenge = '';
let lastFeedback = '';
let reported = false;

function show(name) {
  for (const el of document.querySelectorAll('.screen')) {
    el.hidden = el.id !== 'screen-' + name;
  }
  $('app').setAttribute('aria-busy', name === 'loading' ? 'true' : 'false');
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function announce(text) {
  setText($('status'), text);
}

function totalOf(s) {
  return s.total_challenges || (Array.isArray(s.challenges) ? s.challenges.length : 1) || 1;
}

function challengeText(id) {
  return has(lang, 'challenge.' + id) ? t('challenge.' + id) : t('challenge.unknown');
}

function hintText(hint, challenge, serverMessage, burst) {
  // "start" means "do the challenge": the prompt already says so, except
  // for BLINK at the slow cadence, where a longer blink is needed.
  if (hint === 'start') return challenge === 'BLINK' && !burst ? t('hint.slow_blink') : '';
  if (!hint) return serverMessage || '';
  for (const key of ['hint.' + hint + '.' + challenge, 'hint.' + hint]) {
    if (has(lang, key)) return t(key);
  }
  return serverMessage || '';
}

function renderSteps(index, total, finished) {
  const ol = $('steps');
  while (ol.children.length > total) ol.lastChild.remove();
  while (ol.children.length < total) ol.append(document.createElement('li'));
  [...ol.children].forEach((li, i) => {
    li.className = finished || i < index ? 'done' : i === index ? 'current' : '';
  });
  setText($('progress-text'), t('progress.step', { index: Math.min(index + 1, total), total }));
}

async function loadSession() {
  show('loading');
  try {
    session = await client.getSession(sessionId, clientToken);
  } catch (err) {
    fail(err, loadSession);
    return;
  }
  if (FINAL.has(session.status)) {
    finish({
      passed: session.status === 'passed',
      score: typeof session.score === 'number' ? session.score : null,
      sessionId,
      status: session.status,
      reason: session.reason || (session.status === 'passed' ? '' : session.status),
    });
    return;
  }
  const total = totalOf(session);
  $('intro-steps').textContent = total === 1 ? t('intro.steps.one') : t('intro.steps.many', { count: total });
  show('intro');
}

async function start() {
  const video = $('video');
  show('run');
  $('challenge-icon').src = 'icons/camera.svg';
  setText($('prompt'), t('camera.starting'));
  announce(t('camera.starting'));
  setText($('feedback'), '');
  renderSteps(session.challenge_index || 0, totalOf(session), false);
  let stream;
  try {
    stream = await client.startCamera(video);
  } catch (err) {
    fail(err, start);
    return;
  }
  controller = new AbortController();
  let result;
  try {
    result = await client.run(sessionId, video, clientToken, {
      signal: controller.signal,
      onChallenge,
      onFeedback,
    });
  } catch (err) {
    stopCamera(stream, video);
    if (controller.signal.aborted) return;
    fail(err, start);
    return;
  }
  stopCamera(stream, video);
  finish(result);
}

function stopCamera(stream, video) {
  for (const tr of stream.getTracks()) tr.stop();
  video.srcObject = null;
}

function onChallenge({ challenge, index, total }) {
  currentChallenge = challenge;
  lastFeedback = '';
  $('challenge-icon').src = 'icons/' + (ICONS[challenge] || 'face') + '.svg';
  setText($('prompt'), challengeText(challenge));
  setText($('feedback'), '');
  renderSteps(index, total, false);
  // One announcement per step, through the status region (role=status,
  // aria-live=polite): "Step 2 of 3: Smile".
  announce(t('prompt.announce', { index: index + 1, total, challenge: challengeText(challenge) }));
}

function onFeedback({ hint, message, burst }) {
  const text = hintText(hint, currentChallenge, message, burst);
  if (text === lastFeedback) return; // announce changes only
  lastFeedback = text;
  setText($('feedback'), text);
}

function safeRedirect(url) {
  if (!url) return '';
  try {
    const u = new URL(url, location.href);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : '';
  } catch {
    return '';
  }
}

// report delivers the result message to every channel that exists.
function report(result) {
  if (reported) return;
  reported = true;
  const msg = {
    type: 'liveness_result',
    passed: !!result.passed,
    score: typeof result.score === 'number' ? result.score : null,
    session_id: result.sessionId || sessionId,
    status: result.status,
    reason: result.reason || '',
  };
  if (window.parent && window.parent !== window) {
    const configured = session && session.parent_origin;
    const targets = Array.isArray(configured) ? configured.filter(Boolean) : configured ? [configured] : [];
    // Never '*' when an origin is configured for the session.
    for (const origin of targets.length ? targets : ['*']) {
      try {
        window.parent.postMessage(msg, origin);
      } catch {
        // an invalid origin string; nothing to deliver to
      }
    }
  }
  window.postMessage(msg, location.origin);
  const json = JSON.stringify(msg);
  for (const channel of [window.ReactNativeWebView, window.LivenessResult]) {
    if (channel && typeof channel.postMessage === 'function') {
      try {
        channel.postMessage(json);
      } catch {
        // a host channel failing must not hide the result
      }
    }
  }
}

function finish(result) {
  if (controller) controller.abort();
  report(result);
  const passed = !!result.passed;
  const screen = $('screen-result');
  screen.classList.toggle('passed', passed);
  screen.classList.toggle('failed', !passed);
  screen.setAttribute('role', passed ? 'status' : 'alert');
  $('result-icon').src = passed ? 'icons/passed.svg' : 'icons/failed.svg';
  setText($('result-title'), t(passed ? 'result.passed.title' : 'result.failed.title'));
  const reasonKey = 'result.reason.' + (result.reason || '');
  setText($('result-body'), !passed && result.reason && has(lang, reasonKey) ? t(reasonKey) : t(passed ? 'result.passed.body' : 'result.failed.body'));
  const target = safeRedirect(session && session.redirect_url);
  const link = $('result-link');
  if (target) {
    setText($('result-next'), t('result.redirect'));
    link.href = target;
    link.textContent = t('result.redirect.link');
    link.hidden = false;
    setTimeout(() => location.assign(target), REDIRECT_DELAY_MS);
  } else {
    setText($('result-next'), t('result.close'));
    link.hidden = true;
  }
  show('result');
  $('result-title').focus();
}

function showError(kind, retry) {
  const titles = {
    link: ['error.link.title', 'error.link.body'],
    expired: ['error.expired.title', 'error.expired.body'],
    network: ['error.network.title', 'error.network.body'],
    camera_denied: ['camera.denied.title', 'camera.denied.body'],
    camera_missing: ['camera.missing.title', 'camera.missing.body'],
    camera_unavailable: ['camera.unavailable.title', 'camera.unavailable.body'],
    unsupported: ['camera.unsupported.title', 'camera.unsupported.body'],
  };
  const [title, body] = titles[kind] || titles.network;
  $('error-icon').src = kind.startsWith('camera') || kind === 'unsupported' ? 'icons/camera_off.svg' : 'icons/failed.svg';
  setText($('error-title'), t(title));
  setText($('error-body'), t(body));
  const btn = $('error-retry');
  btn.textContent = kind.startsWith('camera') ? t('camera.retry') : t('error.retry');
  btn.hidden = !retry;
  btn.onclick = retry ? () => retry() : null;
  show('error');
  $('error-title').focus();
}

function fail(err, retry) {
  const code = err instanceof LivenessError ? err.code : 'network';
  switch (code) {
    case 'unauthorized':
    case 'not_found':
    case 'bad_request':
      showError('link');
      break;
    case 'camera_denied':
    case 'camera_missing':
    case 'camera_unavailable':
      showError(code, retry);
      break;
    case 'unsupported':
      showError('unsupported');
      break;
    default:
      showError('network', retry);
  }
}

function init() {
  document.documentElement.lang = lang;
  document.documentElement.dir = t('dir') === 'rtl' ? 'rtl' : 'ltr';
  translateDocument(document, t);
  document.title = t('title');
  $('start').addEventListener('click', () => start());
  window.addEventListener('pagehide', () => {
    if (controller) controller.abort();
  });
  if (!sessionId || !clientToken) {
    showError('link');
    return;
  }
  loadSession();
}

init();
