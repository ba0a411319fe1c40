// LivenessWidget: the openliveness browser SDK in a React component.
//
//   <LivenessWidget
//     apiUrl="https://liveness.example.com"
//     sessionId={session.session_id}
//     clientToken={session.client_token}
//     onComplete={({ passed, score }) => ...}
//     onError={(err) => ...}
//   />
//
// Your backend creates the session (POST /v1/sessions with its API key) and
// hands the page only session_id and client_token. The SDK module is loaded
// at run time from the liveness server itself, so it always matches the
// server's version; no package to install, no build plugin. The server must
// allow your page's origin for CORS. onComplete tells the UI what happened;
// your backend must still read the verdict server-side
// (GET /v1/sessions/{id}/result or the webhook) before trusting it.
import { useEffect, useRef, useState } from 'react';

const TEXT = {
  starting: 'Starting the camera…',
  step: (index, total) => `Step ${index + 1} of ${total}`,
  challenges: {
    BLINK: 'Blink your eyes',
    SMILE: 'Smile',
    TURN_LEFT: 'Turn your head to your left',
    TURN_RIGHT: 'Turn your head to your right',
    OPEN_MOUTH: 'Open your mouth wide',
    LOOK_DOWN: 'Look down',
    RAISE_EYEBROWS: 'Raise your eyebrows',
  },
  hints: {
    no_face: 'No face detected — look at the camera',
    several_faces: 'Only one face please',
    many_faces: 'Only one face please',
    move_closer: 'Move closer to the camera',
    frontal: 'Face the camera',
    face_camera: 'Face the camera',
    more_light: 'More light please',
    hold: 'Hold still',
    baseline: 'Look straight at the camera',
    reopen: 'Now open your eyes',
    connection: 'Connection is slow — still trying',
  },
  passed: 'You are verified',
  failed: 'We could not verify you',
  error: 'The check could not run',
};

export default function LivenessWidget({ apiUrl, sessionId, clientToken, onComplete, onError, text = TEXT }) {
  const videoRef = useRef(null);
  const [status, setStatus] = useState('starting'); // starting | running | passed | failed | error
  const [prompt, setPrompt] = useState(text.starting);
  const [feedback, setFeedback] = useState('');
  const [step, setStep] = useState('');
  // The latest callbacks and texts, without restarting the check when they change.
  const latest = useRef({ onComplete, onError, text });
  latest.current = { onComplete, onError, text };

  useEffect(() => {
    const controller = new AbortController();
    let active = true;
    const t = () => latest.current.text;
    (async () => {
      try {
        const base = apiUrl.endsWith('/') ? apiUrl : apiUrl + '/';
        const sdkUrl = new URL('sdk/liveness.js', base).href;
        const { LivenessClient } = await import(/* webpackIgnore: true */ /* @vite-ignore */ sdkUrl);
        const client = new LivenessClient({ apiUrl, frameInterval: 800, jpegQuality: 0.8 });
        const result = await client.run(sessionId, videoRef.current, clientToken, {
          signal: controller.signal,
          onChallenge: ({ challenge, index, total }) => {
            if (!active) return;
            setStatus('running');
            setPrompt(t().challenges[challenge] || challenge);
            setStep(t().step(index, total));
            setFeedback('');
          },
          onFeedback: ({ hint, message }) => {
            if (active) setFeedback(t().hints[hint] || message || '');
          },
        });
        if (!active) return;
        setStatus(result.passed ? 'passed' : 'failed');
        setPrompt(result.passed ? t().passed : t().failed);
        setFeedback('');
        latest.current.onComplete?.({ passed: result.passed, score: result.score });
      } catch (err) {
        if (!active || controller.signal.aborted) return; // unmounted or restarted
        setStatus('error');
        setPrompt(t().error);
        setFeedback('');
        latest.current.onError?.(err);
      }
    })();
    // Unmounting (or new props) cancels the run; the SDK stops the camera.
    return () => {
      active = false;
      controller.abort();
    };
  }, [apiUrl, sessionId, clientToken]);

  return (
    <div className="liveness-widget" data-status={status}>
      <video
        ref={videoRef}
        autoPlay
        muted
        playsInline
        aria-label="Camera preview"
        // Mirror the preview only; the SDK sends unmirrored frames.
        style={{ width: '100%', maxWidth: 480, transform: 'scaleX(-1)', background: '#000' }}
      />
      <p className="liveness-prompt" aria-live="polite" aria-atomic="true">
        {prompt}
      </p>
      <p className="liveness-feedback" aria-live="polite">
        {feedback}
      </p>
      {step && status === 'running' && <p className="liveness-step">{step}</p>}
    </div>
  );
}
