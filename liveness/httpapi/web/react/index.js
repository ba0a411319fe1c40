// LivenessWidget: the openliveness browser SDK in a React component, with
// the hosted page's strings (i18n.js) in every language it ships.
//
//   import { LivenessWidget } from '@openliveness/web/react';
//   <LivenessWidget
//     apiUrl="https://liveness.example.com"
//     sessionId={session.session_id}
//     clientToken={session.client_token}
//     lang="de"                                   // optional; default: the browser's languages
//     messages={{ de: { 'result.passed.title': 'Geschafft' } }}  // optional overrides
//     onComplete={({ passed, score, status, reason }) => ...}
//     onError={(err) => ...}
//   />
//
// Your backend creates the session (POST /v1/sessions with its API key) and
// hands the page only session_id and client_token. The server must allow
// your page's origin for CORS. onComplete tells the UI what happened; your
// backend must still read the verdict server-side (GET
// /v1/sessions/{id}/result or the webhook) before trusting it.
//
// A session created with consent_text needs the user's acceptance first:
// show the text, and when the user agrees call
// new LivenessClient({ apiUrl }).acceptConsent(sessionId, clientToken,
// { consentText }) before mounting the widget (otherwise onError gets a
// LivenessError with code consent_required).
//
// Plain JavaScript (React.createElement), so it needs no JSX build step.
import { createElement as h, useEffect, useRef, useState } from 'react';
import { LivenessClient } from '../sdk/liveness.js';
import { pickLanguage, translator, challengeText, hintText, reasonText } from '../i18n.js';

function browserLanguages() {
  return globalThis.navigator ? navigator.languages || [navigator.language] : [];
}

export function LivenessWidget({ apiUrl, sessionId, clientToken, lang, messages, onComplete, onError }) {
  const videoRef = useRef(null);
  const t = translator(pickLanguage(lang, browserLanguages(), messages || {}), messages || {});
  const [state, setState] = useState({ status: 'starting', challenge: '', index: 0, total: 0, hint: '', message: '', burst: false, left: null, reason: '' });
  // The latest callbacks, without restarting the check when they change.
  const latest = useRef({ onComplete, onError });
  latest.current = { onComplete, onError };

  useEffect(() => {
    const controller = new AbortController();
    let active = true;
    const update = (patch) => {
      if (active) setState((s) => ({ ...s, ...patch }));
    };
    (async () => {
      try {
        const client = new LivenessClient({ apiUrl });
        const result = await client.run(sessionId, videoRef.current, clientToken, {
          signal: controller.signal,
          onChallenge: ({ challenge, index, total, timeLeftMs }) =>
            update({ status: 'running', challenge, index, total, hint: '', message: '', left: timeLeftMs }),
          onFeedback: ({ hint, message, burst, timeLeftMs }) =>
            update({ hint, message, burst, ...(timeLeftMs === undefined ? {} : { left: timeLeftMs }) }),
        });
        if (!active) return;
        update({ status: result.passed ? 'passed' : 'failed', reason: result.reason || '', left: null });
        latest.current.onComplete?.({ passed: result.passed, score: result.score, status: result.status, reason: result.reason });
      } catch (err) {
        if (!active || controller.signal.aborted) return; // unmounted or restarted
        update({ status: 'error', left: null });
        latest.current.onError?.(err);
      }
    })();
    // Unmounting (or new props) cancels the run; the SDK stops the camera.
    return () => {
      active = false;
      controller.abort();
    };
  }, [apiUrl, sessionId, clientToken]);

  const s = state;
  let prompt = t('camera.starting');
  let feedback = '';
  if (s.status === 'running') {
    prompt = challengeText(t, s.challenge);
    feedback = hintText(t, s.hint, s.challenge, s.message, s.burst);
  } else if (s.status === 'passed') {
    prompt = t('result.passed.title');
  } else if (s.status === 'failed') {
    prompt = t('result.failed.title');
    feedback = reasonText(t, s.reason) || t('result.failed.body');
  } else if (s.status === 'error') {
    prompt = t('error.network.title');
  }
  return h(
    'div',
    { className: 'liveness-widget', 'data-status': s.status, lang: t.lang, dir: t.dir },
    h('video', {
      ref: videoRef,
      autoPlay: true,
      muted: true,
      playsInline: true,
      'aria-label': t('video.label'),
      // Mirror the preview only; the SDK sends unmirrored frames.
      style: { width: '100%', maxWidth: 480, transform: 'scaleX(-1)', background: '#000' },
    }),
    h('p', { className: 'liveness-prompt', 'aria-live': 'polite', 'aria-atomic': 'true' }, prompt),
    h('p', { className: 'liveness-feedback', 'aria-live': 'polite' }, feedback),
    s.status === 'running' && typeof s.left === 'number' ? h('p', { className: 'liveness-timer' }, t('timer.left', { seconds: Math.ceil(s.left / 1000) })) : null,
    s.status === 'running' && s.total > 0 ? h('p', { className: 'liveness-step' }, t('progress.step', { index: s.index + 1, total: s.total })) : null,
  );
}

export default LivenessWidget;
