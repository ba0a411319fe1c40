// Hosted liveness page: /check?s={session_id}&t={client_token}[&lang=xx]
//
// Reads the session with the client token, explains the camera use (with
// the session's consent text to accept, and a privacy line from the
// server's retention), runs the check with the browser SDK, then reports
// the result: a {"type":"liveness_result", ...} message to the parent frame
// (to the session's parent_origin when one is configured), to this window,
// to window.ReactNativeWebView and to a LivenessResult JavaScript channel
// (Flutter) when present; then shows the result or follows redirect_url.
// Cancel (before or during the check) cancels the session and reports
// status "cancelled". After a failure, "Try again" opens the session's
// retry_url or, without one, posts {"type":"liveness_retry","session_id"}
// through the same channels (offered only when something can receive it).

import { LivenessClient, LivenessError } from './sdk/liveness.js';
import { pickLanguage, translator, translateDocument, challengeText as challengeTextOf, hintText, reasonText } from './i18n.js';

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
// Theme colours a session may set, and the CSS variables they set.
const THEME = { accent: '--accent', accent_text: '--accent-text', background: '--bg', surface: '--card', text: '--text' };
const HEX_COLOUR = /^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

const params = new URLSearchParams(location.search);
const preferred = navigator.languages || [navigator.language];
let lang = pickLanguage(params.get('lang'), preferred);
let t = translator(lang);
const sessionId = params.get('s') || '';
const clientToken = params.get('t') || '';
const client = new LivenessClient({ apiUrl: new URL('./', location.href).href });
const $ = (id) => document.getElementById(id);

let session = null;
let controller = null;
let stream = null;
let currentChallenge = '';
let lastFeedback = '';
let reported = false;
let cancelling = false;
const timer = { deadline: 0, window: 0, handle: 0 };

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
  return challengeTextOf(t, id);
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

// localize applies the language (with the session's overrides) to the
// whole document.
function localize(overrides) {
  lang = pickLanguage(params.get('lang'), preferred, overrides);
  t = translator(lang, overrides);
  document.documentElement.lang = lang;
  document.documentElement.dir = t.dir;
  translateDocument(document, t);
  document.title = t('title');
}

// applyTheme sets the session's colours as CSS variables (hex colours only).
function applyTheme(theme) {
  if (!theme || typeof theme !== 'object') return;
  for (const [name, variable] of Object.entries(THEME)) {
    const v = theme[name];
    if (typeof v === 'string' && HEX_COLOUR.test(v)) document.documentElement.style.setProperty(variable, v);
  }
}

// privacyText says what the server keeps, from its declared retention.
function privacyText(privacy) {
  if (!privacy || typeof privacy !== 'object' || !Object.hasOwn(privacy, 'evidence_retention_days')) return t('privacy.unknown');
  const days = privacy.evidence_retention_days;
  if (days === null) return t('privacy.unlimited');
  if (days === 1) return t('privacy.days.one');
  return t('privacy.days', { days });
}

async function loadSession() {
  show('loading');
  try {
    session = await client.getSession(sessionId, clientToken);
  } catch (err) {
    fail(err, loadSession);
    return;
  }
  localize(session.messages && typeof session.messages === 'object' ? session.messages : {});
  applyTheme(session.theme);
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
  const consent = typeof session.consent_text === 'string' ? session.consent_text : '';
  $('consent').hidden = !consent;
  setText($('consent-text'), consent);
  setText($('start'), t(consent ? 'intro.start.consent' : 'intro.start'));
  setText($('privacy'), privacyText(session.privacy));
  show('intro');
}

async function start() {
  const video = $('video');
  show('run');
  $('challenge-icon').src = 'icons/camera.svg';
  setText($('prompt'), t('camera.starting'));
  announce(t('camera.starting'));
  setText($('feedback'), '');
  setTimer(null, null);
  renderSteps(session.challenge_index || 0, totalOf(session), false);
  controller = new AbortController();
  const signal = controller.signal;
  if (session.consent_text && !session.consent_accepted_at) {
    // The user pressed "I agree": the server records it before any frame.
    try {
      session = await client.acceptConsent(sessionId, clientToken, { consentText: session.consent_text, signal });
    } catch (err) {
      if (signal.aborted) return;
      fail(err, start);
      return;
    }
  }
  try {
    stream = await client.startCamera(video, { signal });
  } catch (err) {
    if (signal.aborted) return;
    fail(err, start);
    return;
  }
  let result;
  try {
    result = await client.run(sessionId, video, clientToken, { signal, onChallenge, onFeedback });
  } catch (err) {
    stopCamera();
    if (signal.aborted) return;
    fail(err, start);
    return;
  }
  stopCamera();
  finish(result);
}

function stopCamera() {
  if (stream) for (const tr of stream.getTracks()) tr.stop();
  stream = null;
  $('video').srcObject = null;
}

// cancel stops the check, cancels the session on the server and reports
// how it ended (cancelled, or its earlier ending).
async function cancel() {
  if (cancelling || reported) return;
  cancelling = true;
  if (controller) controller.abort();
  stopCamera();
  setTimer(null, null);
  let state = { status: 'cancelled', reason: 'cancelled' };
  try {
    state = await client.cancelSession(sessionId, clientToken);
  } catch {
    // The server cannot be reached: the user still left the check.
  }
  const status = FINAL.has(state.status) ? state.status : 'cancelled';
  finish({
    passed: status === 'passed',
    score: typeof state.score === 'number' ? state.score : null,
    sessionId,
    status,
    reason: state.reason || (status === 'passed' ? '' : status),
  });
}

function onChallenge({ challenge, index, total, timeLeftMs, windowMs }) {
  currentChallenge = challenge;
  lastFeedback = '';
  $('challenge-icon').src = 'icons/' + (ICONS[challenge] || 'face') + '.svg';
  setText($('prompt'), challengeText(challenge));
  setText($('feedback'), '');
  renderSteps(index, total, false);
  setTimer(timeLeftMs, windowMs);
  // One announcement per step, through the status region (role=status,
  // aria-live=polite): "Step 2 of 3: Smile".
  announce(t('prompt.announce', { index: index + 1, total, challenge: challengeText(challenge) }));
}

function onFeedback({ hint, message, burst, timeLeftMs, windowMs }) {
  if (timeLeftMs !== undefined) setTimer(timeLeftMs, windowMs);
  const text = hintText(t, hint, currentChallenge, message, burst);
  if (text === lastFeedback) return; // announce changes only
  lastFeedback = text;
  setText($('feedback'), text);
}

// setTimer shows the current challenge's remaining time, counting down
// locally between answers; null hides it (no time limit known).
function setTimer(leftMs, windowMs) {
  if (typeof leftMs !== 'number') {
    clearInterval(timer.handle);
    timer.handle = 0;
    $('timer').hidden = true;
    return;
  }
  timer.deadline = performance.now() + leftMs;
  timer.window = typeof windowMs === 'number' && windowMs > 0 ? windowMs : Math.max(leftMs, timer.window || 0);
  $('timer').hidden = false;
  renderTimer();
  if (!timer.handle) timer.handle = setInterval(renderTimer, 250);
}

function renderTimer() {
  const left = Math.max(0, timer.deadline - performance.now());
  const fraction = timer.window > 0 ? Math.min(1, left / timer.window) : 0;
  $('timer-fill').style.transform = 'scaleX(' + fraction.toFixed(3) + ')';
  $('timer').classList.toggle('low', left < 3000);
  setText($('timer-text'), t('timer.left', { seconds: Math.ceil(left / 1000) }));
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

function nativeChannels() {
  return [window.ReactNativeWebView, window.LivenessResult].filter((c) => c && typeof c.postMessage === 'function');
}

// post delivers msg to the parent frame (only to the session's
// parent_origin when configured), this window and the native channels.
function post(msg) {
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
  for (const channel of nativeChannels()) {
    try {
      channel.postMessage(json);
    } catch {
      // a host channel failing must not hide the result
    }
  }
}

// report delivers the result message once.
function report(result) {
  if (reported) return;
  reported = true;
  post({
    type: 'liveness_result',
    passed: !!result.passed,
    score: typeof result.score === 'number' ? result.score : null,
    session_id: result.sessionId || sessionId,
    status: result.status,
    reason: result.reason || '',
  });
}

function finish(result) {
  if (controller) controller.abort();
  setTimer(null, null);
  report(result);
  const passed = !!result.passed;
  const cancelled = result.status === 'cancelled';
  const screen = $('screen-result');
  screen.classList.toggle('passed', passed);
  screen.classList.toggle('failed', !passed);
  screen.setAttribute('role', passed ? 'status' : 'alert');
  $('result-icon').src = passed ? 'icons/passed.svg' : 'icons/failed.svg';
  setText($('result-title'), t(passed ? 'result.passed.title' : cancelled ? 'result.cancelled.title' : 'result.failed.title'));
  setText($('result-body'), (!passed && reasonText(t, result.reason)) || t(passed ? 'result.passed.body' : 'result.failed.body'));
  const target = safeRedirect(session && session.redirect_url);
  const retryURL = safeRedirect(session && session.retry_url);
  const link = $('result-link');
  const retry = $('result-retry');
  retry.hidden = true;
  if (target) {
    setText($('result-next'), t('result.redirect'));
    link.href = target;
    link.textContent = t('result.redirect.link');
    link.hidden = false;
    setTimeout(() => location.assign(target), REDIRECT_DELAY_MS);
  } else {
    setText($('result-next'), t('result.close'));
    link.hidden = true;
    // Try again: the integrator's retry_url, or a liveness_retry message
    // when a parent frame or a native channel can act on it.
    const embedded = window.parent !== window || nativeChannels().length > 0;
    if (!passed && (retryURL || embedded)) {
      retry.hidden = false;
      retry.onclick = () => {
        if (retryURL) {
          location.assign(retryURL);
        } else {
          post({ type: 'liveness_retry', session_id: sessionId, status: result.status, reason: result.reason || '' });
        }
      };
    }
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
  setTimer(null, null);
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
  localize({});
  $('start').addEventListener('click', () => start());
  $('intro-cancel').addEventListener('click', () => cancel());
  $('run-cancel').addEventListener('click', () => cancel());
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
