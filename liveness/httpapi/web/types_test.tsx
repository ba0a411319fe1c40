// Compile-time checks of the declarations (tsc --noEmit); not shipped.
import { LivenessClient, LivenessError, type LivenessResult, type Match, type SessionState } from '@openliveness/web';
import { messages, pickLanguage, translator, hintText, reasonText } from '@openliveness/web/i18n';
import LivenessWidgetDefault, { LivenessWidget } from '@openliveness/web/react';

const client = new LivenessClient({ apiUrl: 'https://liveness.example.com', frameInterval: 800 });
const video = document.createElement('video');
const ctrl = new AbortController();

async function check(): Promise<boolean> {
  const s: SessionState = await client.getSession('id', 'ct_token');
  const n: number | null = s.privacy ? s.privacy.evidence_retention_days : null;
  void n;
  if (s.consent_text && !s.consent_accepted_at) {
    const a: SessionState = await client.acceptConsent('id', 'ct_token', { consentText: s.consent_text, signal: ctrl.signal });
    void a;
  }
  try {
    const r: LivenessResult = await client.run('id', video, 'ct_token', {
      signal: ctrl.signal,
      onChallenge: ({ challenge, index, total, timeLeftMs, windowMs }) => console.log(challenge, index + total, timeLeftMs ?? 0, windowMs),
      onFeedback: ({ hint, message, burst }) => console.log(hint, message, burst),
    });
    const c = await client.cancelSession('id', 'ct_token');
    return r.passed && c.status === 'cancelled';
  } catch (err) {
    if (err instanceof LivenessError && (err.code === 'camera_denied' || err.code === 'consent_required')) return false;
    throw err;
  }
}
void check;

const t = translator(pickLanguage('ar', ['de-AT']), { ar: { cancel: 'إلغاء' } });
const dir: 'ltr' | 'rtl' = t.dir;
const s1: string = t('timer.left', { seconds: 3 }) + hintText(t, 'more', 'TURN_LEFT') + reasonText(t, 'challenge_timeout') + messages['zh-Hans'].title + dir;
void s1;

const el = <LivenessWidget apiUrl="https://x" sessionId="s" clientToken="t" lang="de" messages={{ de: { cancel: 'Stopp' } }} onComplete={({ passed, score }) => console.log(passed, score)} />;
const el2 = <LivenessWidgetDefault apiUrl="https://x" sessionId="s" clientToken="t" />;
void el;
void el2;

const m: Match = { score: 0.71, threshold: 0.43, decision: 'match' };
const mismatch: boolean = m.decision === 'no_match' || m.score < (m.review_threshold ?? m.threshold);
void mismatch;
