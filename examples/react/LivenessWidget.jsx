// The React component now lives in the npm package of the browser SDK
// (liveness/httpapi/web, "@openliveness/web/react"), with the hosted page's
// strings in every language it ships. In an app:
//
//   import { LivenessWidget } from '@openliveness/web/react';
//
//   <LivenessWidget apiUrl="https://liveness.example.com" sessionId={id} clientToken={token}
//     lang="de" onComplete={({ passed, score }) => ...} onError={(err) => ...} />
//
// This file re-exports it for the repository's own example and tests.
export { LivenessWidget as default } from '../../liveness/httpapi/web/react/index.js';
