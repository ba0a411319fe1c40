// Types of the openliveness browser SDK (sdk/liveness.js).

/** Why no verdict could be reached. */
export type LivenessErrorCode =
  | 'camera_denied'
  | 'camera_missing'
  | 'camera_unavailable'
  | 'unsupported'
  | 'unauthorized'
  | 'not_found'
  | 'bad_request'
  | 'consent_required'
  | 'network'
  | 'bad_response';

/** Thrown (rejected) for outcomes that are not a verdict. */
export class LivenessError extends Error {
  constructor(code: LivenessErrorCode, message: string, options?: { status?: number; cause?: unknown });
  readonly name: 'LivenessError';
  readonly code: LivenessErrorCode;
  /** The HTTP status, when an answer caused the error. */
  readonly status?: number;
}

export type SessionStatus = 'pending' | 'passed' | 'failed' | 'expired' | 'cancelled';

export type ChallengeId = 'BLINK' | 'SMILE' | 'TURN_LEFT' | 'TURN_RIGHT' | 'OPEN_MOUTH' | 'LOOK_DOWN' | 'RAISE_EYEBROWS';

/** Failure reasons of the server (others may be added). */
export type Reason =
  | ''
  | 'spoof_detected'
  | 'challenge_timeout'
  | 'unexpected_action'
  | 'expired'
  | 'cancelled'
  | 'frame_limit'
  | 'low_score'
  | 'face_mismatch'
  | 'face_match_review'
  | (string & {});

/**
 * The comparison of the live face with the session's reference photo, in
 * the API-key result (GET /v1/sessions/{id}/result) and in webhooks of
 * sessions created with a reference. Client-token views (what this SDK
 * reads in the browser) never carry it: the browser only sees the reason.
 * Webhooks carry score, threshold and decision.
 */
export interface Match {
  /** Mean similarity of the most frontal live frames with the reference, −1…1. */
  score: number;
  /** The score at which the faces count as the same person. */
  threshold: number;
  /** Lower end of the manual-review band (result only). */
  review_threshold?: number;
  decision: 'match' | 'review' | 'no_match' | 'no_frontal_face';
  /** The live frames compared (result only). */
  frames?: number[];
  /** Hex SHA-256 of the reference image (result only). */
  reference_sha256?: string;
}

/** The session state read with the client token (GET /v1/sessions/{id}). */
export interface SessionState {
  session_id: string;
  status: SessionStatus;
  challenges?: ChallengeId[];
  current_challenge?: ChallengeId | null;
  challenge_index?: number;
  total_challenges?: number;
  expires_in_seconds?: number;
  redirect_url?: string;
  parent_origin?: string;
  mirrored?: boolean;
  consent_text?: string;
  /** When the user's acceptance of consent_text was recorded (RFC 3339); absent before. */
  consent_accepted_at?: string;
  retry_url?: string;
  theme?: { accent?: string; accent_text?: string; background?: string; surface?: string; text?: string };
  messages?: Record<string, Record<string, string>>;
  privacy?: { evidence_retention_days: number | null };
  challenge_time_left_ms?: number | null;
  challenge_window_ms?: number;
  score?: number;
  reason?: string;
}

/** How a check ended. */
export interface LivenessResult {
  passed: boolean;
  score: number | null;
  sessionId: string;
  status: SessionStatus;
  reason: Reason;
}

export interface ChallengeEvent {
  challenge: ChallengeId;
  /** 0-based. */
  index: number;
  total: number;
  /** The challenge's remaining time in ms; null without a time limit. */
  timeLeftMs: number | null;
  /** The challenge's whole window in ms; null without a time limit. */
  windowMs: number | null;
}

export interface FeedbackEvent {
  /** Machine-readable hint ("no_face", "hold", "connection"...), or "". */
  hint: string;
  /** The server's feedback text. */
  message: string;
  faceDetected: boolean | undefined;
  confidence: number;
  /** The answer was to a burst of frames. */
  burst: boolean;
  /** As in ChallengeEvent; undefined: unchanged (a connection hint). */
  timeLeftMs: number | null | undefined;
  windowMs: number | null | undefined;
}

export interface RunOptions {
  onChallenge?: (e: ChallengeEvent) => void;
  onFeedback?: (e: FeedbackEvent) => void;
  onSession?: (state: SessionState) => void;
  signal?: AbortSignal;
}

export interface ClientOptions extends RunOptions {
  /** Base URL of the server (default: where this module was loaded from). */
  apiUrl?: string;
  frameInterval?: number;
  jpegQuality?: number;
  maxSide?: number;
  burstInterval?: number;
  burstFrames?: number;
  maxBurstFrames?: number;
  burstDuration?: number;
  requestTimeout?: number;
  maxRetries?: number;
  cameraTimeout?: number;
}

/** Talks to one openliveness server; holds no per-session state. */
export class LivenessClient {
  constructor(options?: ClientOptions);
  readonly apiUrl: string;
  /** The absolute URL of an API path such as "v1/sessions/ID". */
  url(path: string): string;
  getSession(sessionId: string, clientToken: string, options?: { signal?: AbortSignal }): Promise<SessionState>;
  /** Cancels a pending session; resolves to its final state. */
  cancelSession(sessionId: string, clientToken: string, options?: { signal?: AbortSignal }): Promise<SessionState>;
  /**
   * Records that the user accepted the session's consent text (call it
   * only after they agreed); frames are refused until then.
   */
  acceptConsent(sessionId: string, clientToken: string, options?: { consentText?: string; signal?: AbortSignal }): Promise<SessionState>;
  startCamera(video: HTMLVideoElement, options?: { facingMode?: string; signal?: AbortSignal }): Promise<MediaStream>;
  /** Runs the whole check until the session reaches a final status. */
  run(sessionId: string, video: HTMLVideoElement, clientToken: string, options?: RunOptions): Promise<LivenessResult>;
}
