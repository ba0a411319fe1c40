// A partner page using the browser SDK from the liveness server:
// ?api={base URL}&s={session_id}&t={client_token}[&abort_after_ms=N]
const params = new URLSearchParams(location.search);
const api = params.get('api');
const report = (kind, data) => console.debug('__OL__' + JSON.stringify({ kind, data, href: location.href, top: true, t: Date.now() }));
const $ = (id) => document.getElementById(id);

const { LivenessClient, LivenessError } = await import(new URL('sdk/liveness.js', api).href);
const client = new LivenessClient({ apiUrl: api, frameInterval: 800, jpegQuality: 0.8 });
const controller = new AbortController();
const abortAfter = Number(params.get('abort_after_ms') || 0);
const video = $('camera');
let challenges = 0;
try {
  const result = await client.run(params.get('s'), video, params.get('t'), {
    signal: controller.signal,
    onChallenge: ({ challenge, index, total }) => {
      challenges++;
      $('challenge').textContent = `Step ${index + 1} of ${total}: ${challenge}`;
      report('sdk_challenge', { challenge, index, total });
      if (abortAfter && challenges === 1) setTimeout(() => controller.abort(), abortAfter);
    },
    onFeedback: ({ hint, message }) => {
      $('feedback').textContent = hint + (message ? ' — ' + message : '');
    },
  });
  $('result').textContent = result.passed ? `Passed (score ${result.score})` : `Not passed (${result.reason})`;
  report('sdk', result);
} catch (err) {
  $('result').textContent = 'Error: ' + (err && err.name) + ' ' + (err && err.message);
  report('sdk_error', {
    name: err && err.name,
    code: err instanceof LivenessError ? err.code : '',
    message: String(err && err.message),
    cameraStopped: !video.srcObject,
  });
}
