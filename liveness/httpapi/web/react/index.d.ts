// Types of the React component (react/index.js).
import type { ReactElement } from 'react';
import type { LivenessResult } from '../sdk/liveness.js';
import type { Overrides } from '../i18n.js';

export interface LivenessWidgetProps {
  /** Base URL of the openliveness server. */
  apiUrl: string;
  sessionId: string;
  clientToken: string;
  /** Language tag (default: the browser's preferred languages). */
  lang?: string;
  /** String overrides by language then key. */
  messages?: Overrides;
  onComplete?: (result: Pick<LivenessResult, 'passed' | 'score' | 'status' | 'reason'>) => void;
  onError?: (err: unknown) => void;
}

export function LivenessWidget(props: LivenessWidgetProps): ReactElement;
export default LivenessWidget;
