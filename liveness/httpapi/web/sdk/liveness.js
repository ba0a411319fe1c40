// openliveness browser SDK (ES module, no dependencies, no build step).
//
//   import { LivenessClient } from 'https://liveness.example.com/sdk/liveness.js';
//   const client = new LivenessClient({ apiUrl: 'https://liveness.example.com' });
//   const { passed, score } = await client.run(sessionId, videoElement, clientToken, {
//     onChallenge: ({ challenge, index, total }) => ...,
//     onFeedback: ({ hint, message }) => ...,
//     signal: abortController.signal,
//   });
//
// The client opens the front camera (unless the video element already plays
// a live stream), reads the session, then sends camera frames to
// POST {apiUrl}/v1/sessions/{id}/verify: one JPEG every frameInterval ms, and
// bursts at about 10 fps while the current challenge is BLINK. It backs off
// on 429, recovers from dropped requests and stops on a final status.
//
// Frames are drawn from the raw video track, never mirrored, whatever CSS
// mirroring the preview uses; the longer side is scaled to at most maxSide px.

const DEFAULTS = Object.freeze({
  frameInterval: 800, // ms between submissions
  jpegQuality: 0.8,
  maxSide: 640, // px, longer side of the frames sent
  burstInterval: 100, // ms between frames of a BLINK burst (10 fps)
  burstFrames: 8, // frames per burst submission (one burst every 800 ms)
  maxBurstFrames: 15, // most frames kept for one burst when the server is slow
  burstDuration: 3000, // ms of camera time sent as bursts per BLINK challenge, then frameInterval
  requestTimeout: 20000, // ms before a request is treated as dropped
  maxRetries: 6, // consecutive dropped or failed requests before giving up
  cameraTimeout: 10000, // ms to wait for the first video frame
});

const BLINK = 'BLINK';
const FINAL = new Set(['passed', 'failed', 'expired', 'cancelled']);

// LivenessError is thrown (rejected) for outcomes that are not a verdict:
// camera problems, an invalid session link, a lost connection. `code` is one
// of: camera_denied, camera_missing, camera_unavailable, unsupported,
// unauthorized, not_found, bad_request, consent_required, network,
// bad_response.
export class LivenessError extends Error {
  constructor(code, message, { status, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'LivenessError';
    this.code = code;
    this.status = status;
  }
}

// LivenessClient talks to one openliveness server. It holds no per-session
// state: one client may run several sessions, one after another or at once.
export class LivenessClient {
  // options: apiUrl (default: the server this module was loaded from),
  // frameInterval, jpegQuality and the other DEFAULTS above, and default
  // run options (onChallenge, onFeedback, onSession, signal).
  constructor(options = {}) {
    const { apiUrl, ...rest } = options;
    let base = apiUrl ? String(apiUrl) : new URL('../', import.meta.url).href;
    base = new URL(base, globalThis.location ? globalThis.location.href : undefined).href;
    if (!base.endsWith('/')) base += '/';
    this.apiUrl = base;
    this.options = { ...DEFAULTS, ...rest };
  }

  // url returns the absolute URL of an API path such as "v1/sessions/ID".
  url(path) {
    return new URL(path, this.apiUrl).href;
  }

  // getSession reads the session state with the client token:
  // {session_id, status, challenges, current_challenge, challenge_index,
  //  total_challenges, expires_in_seconds, redirect_url, parent_origin,
  //  consent_text, consent_accepted_at...}.
  // A 410 (expired) answer resolves to {status: 'expired'}.
  async getSession(sessionId, clientToken, { signal } = {}) {
    const res = await this._fetch('GET', sessionPath(sessionId), clientToken, undefined, signal);
    if (res.status === 410) return { session_id: sessionId, status: 'expired' };
    if (!res.ok) throw await httpError(res);
    return readJSON(res);
  }

  // cancelSession cancels a pending session with the client token (the
  // user gave up) and resolves to the session's final state: cancelled, or
  // how it had already ended.
  async cancelSession(sessionId, clientToken, { signal } = {}) {
    const res = await this._fetch('POST', sessionPath(sessionId) + '/cancel', clientToken, undefined, signal);
    if (res.status === 410) return { session_id: sessionId, status: 'expired' };
    if (res.status === 409) {
      discard(res);
      return this.getSession(sessionId, clientToken, { signal });
    }
    if (!res.ok) throw await httpError(res);
    return readJSON(res);
  }

  // acceptConsent tells the server that the user accepted the session's
  // consent text (POST /v1/sessions/{id}/consent) and resolves to the
  // session state. Call it only after the user agreed: a session with
  // consent text refuses frames until then (run rejects with
  // consent_required). consentText, when given, is the text shown; its
  // SHA-256 is sent so that the server checks it is the session's.
  async acceptConsent(sessionId, clientToken, { consentText, signal } = {}) {
    const body = { accepted: true };
    if (typeof consentText === 'string') {
      const hash = await sha256Hex(consentText);
      if (hash) body.consent_hash = 'sha256:' + hash;
    }
    const res = await this._fetch('POST', sessionPath(sessionId) + '/consent', clientToken, body, signal);
    if (!res.ok) throw await httpError(res);
    return readJSON(res);
  }

  // startCamera opens the front camera and plays it in video (muted,
  // inline). It resolves to the MediaStream; stop its tracks when done.
  async startCamera(video, { facingMode = 'user', signal } = {}) {
    throwIfAborted(signal);
    const md = globalThis.navigator && navigator.mediaDevices;
    if (!md || typeof md.getUserMedia !== 'function') {
      throw new LivenessError('unsupported', 'camera API unavailable (a secure https context is required)');
    }
    let stream;
    try {
      stream = await md.getUserMedia({
        audio: false,
        video: { facingMode, width: { ideal: 640 }, height: { ideal: 480 } },
      });
    } catch (err) {
      throw cameraError(err);
    }
    if (signal && signal.aborted) {
      stopStream(stream);
      throw signal.reason;
    }
    video.muted = true;
    video.playsInline = true;
    video.setAttribute('playsinline', '');
    video.setAttribute('muted', '');
    video.srcObject = stream;
    try {
      await video.play();
    } catch (err) {
      // Autoplay of a muted inline video is allowed everywhere that matters;
      // a refusal here is not fatal, waitForVideo decides.
    }
    return stream;
  }

  // run performs the whole check and resolves to
  // {passed, score, sessionId, status, reason} once the session reaches a
  // final status (passed, failed, expired or cancelled). It rejects with a
  // LivenessError when no verdict can be reached, or with signal.reason when
  // aborted. Options (each also accepted by the constructor):
  //   onChallenge({challenge, index, total, timeLeftMs, windowMs})   a challenge became
  //                                           current (index is 0-based)
  //   onFeedback({hint, message, faceDetected, confidence, burst, timeLeftMs, windowMs})
  //                                           after each in-progress answer (burst: it
  //                                           answered a burst of frames)
  // timeLeftMs and windowMs are the current challenge's remaining time and
  // its whole window, in ms, from the server's challenge_time_left_ms and
  // challenge_window_ms; null when the server sends none (no time limit).
  //   onSession(state)                        the session state read at the start
  //   signal                                  an AbortSignal that cancels the run
  async run(sessionId, video, clientToken, runOptions = {}) {
    const o = { ...this.options, ...runOptions };
    const signal = o.signal;
    throwIfAborted(signal);
    const session = await this.getSession(sessionId, clientToken, { signal });
    call(o.onSession, session);
    if (FINAL.has(session.status)) return verdict(sessionId, session);
    if (session.consent_text && !session.consent_accepted_at) {
      throw new LivenessError('consent_required', 'the session needs the user to accept its consent text first (acceptConsent)');
    }

    let stream = null;
    if (!hasLiveVideo(video)) stream = await this.startCamera(video, { signal });
    const capturer = new FrameCapturer(video, o);
    try {
      await waitForVideo(video, o.cameraTimeout, signal);
      return await this._loop(sessionId, clientToken, session, capturer, o);
    } finally {
      capturer.close();
      if (stream) {
        stopStream(stream);
        if (video.srcObject === stream) video.srcObject = null;
      }
    }
  }

  async _loop(sessionId, clientToken, session, capturer, o) {
    const signal = o.signal;
    const total = session.total_challenges || (session.challenges ? session.challenges.length : 1);
    let challenge = session.current_challenge || (session.challenges || [])[session.challenge_index || 0] || '';
    let index = session.challenge_index || 0;
    let burstCovered = 0; // ms of camera time sent as bursts for this challenge
    let burst = null;
    let failures = 0;
    let nextSend = 0;

    const enter = (r) => {
      if (burst) burst.stop();
      burst = null;
      burstCovered = 0;
      call(o.onChallenge, { challenge, index, total, ...timing(r) });
    };
    enter(session);

    try {
      for (;;) {
        throwIfAborted(signal);
        let body;
        // Bursts until about burstDuration of camera time went out as
        // bursts, however long the server takes to answer them.
        const bursting = challenge === BLINK && burstCovered < o.burstDuration;
        if (bursting) {
          if (!burst) burst = new Burst(capturer, o);
          const frames = await burst.take(Math.max(nextSend, now() + o.burstInterval), signal);
          const spacing = frameSpacing(frames, o.burstInterval);
          body = { frames_b64: frames.map((f) => f.b64), interval_ms: spacing };
          burstCovered += frames[frames.length - 1].t - frames[0].t + spacing;
        } else {
          if (burst) {
            burst.stop();
            burst = null;
          }
          await sleep(nextSend - now(), signal);
          body = { frame_b64: await capturer.capture() };
        }
        nextSend = now() + o.frameInterval;

        let res;
        try {
          res = await this._fetch('POST', sessionPath(sessionId) + '/verify', clientToken, body, signal, o.requestTimeout);
        } catch (err) {
          if (signal && signal.aborted) throw signal.reason;
          failures++;
          if (failures > o.maxRetries) throw new LivenessError('network', 'the server cannot be reached', { cause: err });
          call(o.onFeedback, { hint: 'connection', message: '', faceDetected: undefined, confidence: 0, burst: bursting, timeLeftMs: undefined, windowMs: undefined });
          nextSend = Math.max(nextSend, now() + backoff(failures));
          continue;
        }

        if (res.status === 429) {
          nextSend = Math.max(nextSend, now() + retryAfter(res, backoff(failures + 1)));
          discard(res);
          continue;
        }
        if (res.status >= 500 || res.status === 408) {
          failures++;
          discard(res);
          if (failures > o.maxRetries) throw new LivenessError('network', `server error ${res.status}`, { status: res.status });
          nextSend = Math.max(nextSend, now() + backoff(failures));
          continue;
        }
        if (res.status === 409 || res.status === 410) {
          discard(res);
          // The session is no longer pending: read how it ended.
          const state = await this.getSession(sessionId, clientToken, { signal });
          if (FINAL.has(state.status)) return verdict(sessionId, state);
          failures++;
          if (failures > o.maxRetries) throw new LivenessError('bad_response', 'session neither pending nor final', { status: res.status });
          continue;
        }
        if (res.status === 400 || res.status === 413) {
          // A frame the server refused (for example too large); try fresh ones.
          failures++;
          const err = await httpError(res);
          if (failures > o.maxRetries) throw err;
          continue;
        }
        if (!res.ok) throw await httpError(res);

        let r;
        try {
          r = await res.json();
        } catch (err) {
          // The answer was cut off or garbled: as good as a dropped request.
          if (signal && signal.aborted) throw signal.reason;
          failures++;
          if (failures > o.maxRetries) throw new LivenessError('network', 'the server sent an unreadable answer', { cause: err });
          nextSend = Math.max(nextSend, now() + backoff(failures));
          continue;
        }
        failures = 0;
        const status = r.session_status || 'pending';
        if (FINAL.has(status)) return verdict(sessionId, { ...r, status });
        if (r.challenge_passed) {
          const next = r.next_challenge || r.current_challenge;
          if (next) {
            challenge = next;
            index = Number.isInteger(r.challenge_index) ? r.challenge_index : index + 1;
            enter(r);
          }
          continue;
        }
        if (r.current_challenge && r.current_challenge !== challenge) {
          challenge = r.current_challenge;
          if (Number.isInteger(r.challenge_index)) index = r.challenge_index;
          enter(r);
        }
        call(o.onFeedback, {
          hint: r.hint || '',
          message: r.feedback || '',
          faceDetected: r.face_detected,
          confidence: typeof r.confidence === 'number' ? r.confidence : 0,
          burst: bursting,
          ...timing(r),
        });
      }
    } finally {
      if (burst) burst.stop();
    }
  }

  async _fetch(method, path, clientToken, body, signal, timeout) {
    throwIfAborted(signal);
    const ctrl = new AbortController();
    const onAbort = () => ctrl.abort(signal.reason);
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    const timer = timeout ? setTimeout(() => ctrl.abort(new LivenessError('network', 'request timed out')), timeout) : 0;
    const headers = { Accept: 'application/json' };
    if (clientToken) headers.Authorization = 'Bearer ' + clientToken;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await fetch(this.url(path), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: ctrl.signal,
        credentials: 'omit',
        cache: 'no-store',
        referrerPolicy: 'no-referrer',
      });
    } finally {
      clearTimeout(timer);
      if (signal) signal.removeEventListener('abort', onAbort);
    }
  }
}

// FrameCapturer draws the current video frame on a canvas and encodes it.
class FrameCapturer {
  constructor(video, o) {
    this.video = video;
    this.quality = o.jpegQuality;
    this.maxSide = o.maxSide;
    this.canvas = document.createElement('canvas');
    this.ctx = this.canvas.getContext('2d', { alpha: false });
  }

  // capture resolves to a base64 JPEG (no data: prefix) of the current frame.
  async capture() {
    const v = this.video;
    const w = v.videoWidth;
    const h = v.videoHeight;
    if (!w || !h) throw new LivenessError('camera_unavailable', 'the camera stopped sending frames');
    const scale = Math.min(1, this.maxSide / Math.max(w, h));
    const cw = Math.max(1, Math.round(w * scale));
    const ch = Math.max(1, Math.round(h * scale));
    if (this.canvas.width !== cw) this.canvas.width = cw;
    if (this.canvas.height !== ch) this.canvas.height = ch;
    this.ctx.drawImage(v, 0, 0, cw, ch);
    const blob = await new Promise((resolve) => this.canvas.toBlob(resolve, 'image/jpeg', this.quality));
    if (!blob) throw new LivenessError('camera_unavailable', 'cannot encode the camera frame');
    return blobToBase64(blob);
  }

  close() {
    this.canvas.width = 0;
    this.canvas.height = 0;
  }
}

// Burst captures frames every burstInterval ms in the background, so frames
// keep coming while a request is in flight; take() hands them over.
class Burst {
  constructor(capturer, o) {
    this.capturer = capturer;
    this.interval = o.burstInterval;
    this.want = o.burstFrames;
    this.max = o.maxBurstFrames;
    this.frames = [];
    this.error = null;
    this.waiter = null;
    this.stopped = false;
    this.started = now();
    this.count = 0;
    this._tick();
  }

  async _tick() {
    if (this.stopped) return;
    const t = now();
    try {
      const b64 = await this.capturer.capture();
      if (this.stopped) return;
      this.frames.push({ b64, t });
      if (this.frames.length > this.max) this.frames.shift();
    } catch (err) {
      this.error = err;
    }
    this._wake();
    if (this.error) return;
    this.count++;
    // Schedule against the start time so the cadence does not drift: the
    // k-th frame (from 0) is due at started + k * interval.
    const next = this.started + this.count * this.interval;
    this.timer = setTimeout(() => this._tick(), Math.max(0, next - now()));
  }

  _wake() {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w();
    }
  }

  // take resolves, no earlier than notBefore, to the frames captured so far
  // (at least burstFrames of them, or whatever there is at notBefore plus
  // one frame interval).
  async take(notBefore, signal) {
    await sleep(notBefore - now(), signal);
    const deadline = Math.max(notBefore, now()) + this.want * this.interval;
    const onAbort = () => this._wake();
    if (signal) signal.addEventListener('abort', onAbort);
    try {
      while (this.frames.length < this.want && !this.error && !this.stopped && (this.frames.length === 0 || now() < deadline)) {
        throwIfAborted(signal);
        await new Promise((resolve) => {
          this.waiter = resolve;
        });
      }
    } finally {
      if (signal) signal.removeEventListener('abort', onAbort);
    }
    throwIfAborted(signal);
    if (this.frames.length === 0) throw this.error || new LivenessError('camera_unavailable', 'no camera frames');
    return this.frames.splice(0, this.frames.length);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this._wake();
  }
}

function sessionPath(id) {
  return 'v1/sessions/' + encodeURIComponent(id);
}

function verdict(sessionId, r) {
  return {
    passed: r.status === 'passed',
    score: typeof r.score === 'number' ? r.score : null,
    sessionId,
    status: r.status,
    reason: r.reason || (r.status === 'passed' ? '' : r.status),
  };
}

// timing reads a challenge's remaining time and window from an answer.
function timing(r) {
  const left = r && r.challenge_time_left_ms;
  const win = r && r.challenge_window_ms;
  return {
    timeLeftMs: Number.isFinite(left) ? Math.max(0, left) : null,
    windowMs: Number.isFinite(win) && win > 0 ? win : null,
  };
}

function frameSpacing(frames, fallback) {
  if (frames.length < 2) return fallback;
  const ms = (frames[frames.length - 1].t - frames[0].t) / (frames.length - 1);
  return Math.max(1, Math.round(ms));
}

function backoff(failures) {
  // 0.5 s, 1 s, 2 s, 4 s, then 8 s, with 20% jitter.
  const base = Math.min(8000, 500 * 2 ** Math.max(0, failures - 1));
  return base * (0.9 + 0.2 * Math.random());
}

function retryAfter(res, fallback) {
  const h = res.headers.get('Retry-After');
  if (h) {
    const secs = Number(h);
    if (Number.isFinite(secs) && secs >= 0) return Math.min(60000, secs * 1000);
    const date = Date.parse(h);
    if (!Number.isNaN(date)) return Math.min(60000, Math.max(0, date - Date.now()));
  }
  return fallback;
}

// sha256Hex returns the hex SHA-256 of text's UTF-8 bytes, or '' where
// the Web Crypto API is unavailable (not a secure context).
async function sha256Hex(text) {
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (!subtle) return '';
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function httpError(res) {
  let msg = '';
  try {
    const j = await res.json();
    msg = (j && j.error) || '';
  } catch {
    // not JSON
  }
  const code =
    res.status === 401 || res.status === 403
      ? 'unauthorized'
      : res.status === 404
        ? 'not_found'
        : res.status === 400 || res.status === 413
          ? 'bad_request'
          : res.status === 409 && /consent/.test(msg)
            ? 'consent_required'
          : res.status >= 500
            ? 'network'
            : 'bad_response';
  return new LivenessError(code, msg || `HTTP ${res.status}`, { status: res.status });
}

async function readJSON(res) {
  try {
    return await res.json();
  } catch (err) {
    throw new LivenessError('bad_response', 'the server sent an unreadable answer', { status: res.status, cause: err });
  }
}

function discard(res) {
  if (res.body) res.body.cancel().catch(() => {});
}

function cameraError(err) {
  const name = err && err.name;
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
    return new LivenessError('camera_denied', 'camera access was refused', { cause: err });
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') {
    return new LivenessError('camera_missing', 'no camera found', { cause: err });
  }
  return new LivenessError('camera_unavailable', 'the camera cannot be started', { cause: err });
}

function hasLiveVideo(video) {
  const s = video.srcObject;
  return !!(s && typeof s.getVideoTracks === 'function' && s.getVideoTracks().some((t) => t.readyState === 'live'));
}

function stopStream(stream) {
  for (const t of stream.getTracks()) t.stop();
}

function waitForVideo(video, timeout, signal) {
  if (video.readyState >= 2 && video.videoWidth > 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err) => {
      clearTimeout(timer);
      video.removeEventListener('loadeddata', check);
      video.removeEventListener('resize', check);
      if (signal) signal.removeEventListener('abort', aborted);
      if (err) reject(err);
      else resolve();
    };
    const check = () => {
      if (video.readyState >= 2 && video.videoWidth > 0) done();
    };
    const aborted = () => done(signal.reason);
    const timer = setTimeout(() => done(new LivenessError('camera_unavailable', 'the camera sends no picture')), timeout);
    video.addEventListener('loadeddata', check);
    video.addEventListener('resize', check);
    if (signal) signal.addEventListener('abort', aborted, { once: true });
    if (video.paused) video.play().catch(() => {});
    check();
  });
}

function blobToBase64(blob) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => {
      const s = String(r.result);
      resolve(s.slice(s.indexOf(',') + 1));
    };
    r.onerror = () => reject(r.error);
    r.readAsDataURL(blob);
  });
}

function sleep(ms, signal) {
  throwIfAborted(signal);
  if (!(ms > 0)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (signal) signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
  });
}

function throwIfAborted(signal) {
  if (signal && signal.aborted) throw signal.reason;
}

function call(fn, arg) {
  if (typeof fn === 'function') {
    try {
      fn(arg);
    } catch (err) {
      // A failing callback must not break the check.
      setTimeout(() => {
        throw err;
      });
    }
  }
}

function now() {
  return performance.now();
}
