// A partner page embedding the hosted page: <iframe src=hosted_url allow="camera">
// and listening for its liveness_result message.
const params = new URLSearchParams(location.search);
const frame = document.getElementById('check');
const src = params.get('src');
const apiOrigin = new URL(src).origin;
frame.src = src;
window.addEventListener('message', (event) => {
  if (event.origin !== apiOrigin) return; // only trust the liveness server
  const m = event.data;
  if (!m || m.type !== 'liveness_result') return;
  document.getElementById('log').textContent =
    'Parent received liveness_result: passed=' + m.passed + ', score=' + m.score + ', session=' + m.session_id;
});
