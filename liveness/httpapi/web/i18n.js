// Every string the hosted page shows, in one place.
//
// To add a language, add an entry to `messages` keyed by its BCP 47 primary
// tag ("fr", "de", "pt"...); keys missing from it fall back to English. The
// page picks the language from the `lang` query parameter, then from the
// browser's preferred languages, then English. Set `dir: 'rtl'` for
// right-to-left scripts. `{name}` placeholders are replaced by t().

export const messages = {
  en: {
    dir: 'ltr',
    'title': 'Liveness check',
    'heading': 'Quick liveness check',
    'loading': 'Loading…',

    'intro.body': 'We will use your camera to check that you are a real person, present right now. You will be asked to do a few simple things, like blinking or turning your head.',
    'intro.steps.one': 'This takes one short action.',
    'intro.steps.many': 'This takes {count} short actions.',
    'intro.tip.light': 'Find a well-lit place and face the light.',
    'intro.tip.face': 'Keep your whole face in view; remove sunglasses or a mask.',
    'intro.tip.alone': 'Make sure no one else is in the picture.',
    'intro.privacy': 'Camera images are used only for this check.',
    'intro.start': 'Start the camera',

    'camera.starting': 'Starting the camera…',
    'camera.denied.title': 'Camera access is blocked',
    'camera.denied.body': 'This check needs your camera. Allow camera access for this page in your browser or app settings, then try again.',
    'camera.missing.title': 'No camera found',
    'camera.missing.body': 'We could not find a camera on this device. Connect a camera or use a phone, then try again.',
    'camera.unavailable.title': 'The camera is not available',
    'camera.unavailable.body': 'Another app may be using the camera. Close it, then try again.',
    'camera.unsupported.title': 'This browser cannot use the camera',
    'camera.unsupported.body': 'Open this page in an up-to-date browser such as Chrome, Safari, Firefox or Edge.',
    'camera.retry': 'Try again',

    'video.label': 'Camera preview',
    'progress.step': 'Step {index} of {total}',
    'prompt.announce': 'Step {index} of {total}: {challenge}',

    'challenge.BLINK': 'Blink your eyes',
    'challenge.SMILE': 'Smile',
    'challenge.TURN_LEFT': 'Turn your head to your left',
    'challenge.TURN_RIGHT': 'Turn your head to your right',
    'challenge.OPEN_MOUTH': 'Open your mouth wide',
    'challenge.LOOK_DOWN': 'Look down',
    'challenge.RAISE_EYEBROWS': 'Raise your eyebrows',
    'challenge.unknown': 'Follow the instructions',

    'hint.no_face': 'No face detected — look at the camera',
    'hint.several_faces': 'Only one face please',
    'hint.many_faces': 'Only one face please',
    'hint.move_closer': 'Move closer to the camera',
    'hint.frontal': 'Face the camera',
    'hint.face_camera': 'Face the camera',
    'hint.more_light': 'More light please',
    'hint.hold': 'Hold still',
    'hint.baseline': 'Look straight at the camera',
    'hint.open_eyes': 'Open your eyes',
    'hint.close_mouth': 'Close your mouth',
    'hint.reopen': 'Now open your eyes',
    'hint.wrong_way': 'Turn the other way',
    'hint.wrong_way.LOOK_DOWN': 'Look down, not up',
    'hint.more': 'A little more',
    'hint.more.TURN_LEFT': 'Turn a little more to your left',
    'hint.more.TURN_RIGHT': 'Turn a little more to your right',
    'hint.more.LOOK_DOWN': 'Look down a little more',
    'hint.no_smile': 'Open your mouth without smiling',
    'hint.slow_blink': 'Close your eyes for a second, then open them',
    'hint.passed': 'Done',
    'hint.connection': 'Connection is slow — still trying',

    'result.passed.title': 'You are verified',
    'result.passed.body': 'Thank you. The check is complete.',
    'result.failed.title': 'We could not verify you',
    'result.failed.body': 'The check did not pass.',
    'result.reason.spoof_detected': 'Please use a live camera, not a photo, a screen or a video.',
    'result.reason.face_mismatch': 'Your face did not match the photo on file.',
    'result.reason.timeout': 'Time ran out before all the steps were done.',
    'result.reason.expired': 'This check has expired.',
    'result.reason.cancelled': 'This check was cancelled.',
    'result.close': 'You can close this page now.',
    'result.redirect': 'Taking you back…',
    'result.redirect.link': 'Continue',

    'error.link.title': 'This link does not work',
    'error.link.body': 'The link is incomplete or no longer valid. Please start again from the app or website that sent you here.',
    'error.expired.title': 'This link has expired',
    'error.expired.body': 'Please start again from the app or website that sent you here.',
    'error.network.title': 'Connection problem',
    'error.network.body': 'We could not reach the server. Check your internet connection, then try again.',
    'error.retry': 'Try again',
  },
};

export const defaultLanguage = 'en';

// pickLanguage returns the first supported language among the requested
// tag (for example from ?lang=) and the browser's preferred languages.
export function pickLanguage(requested, preferred = []) {
  const candidates = [requested, ...preferred].filter(Boolean);
  for (const tag of candidates) {
    const lower = String(tag).toLowerCase();
    if (Object.hasOwn(messages, lower)) return lower;
    const primary = lower.split('-')[0];
    if (Object.hasOwn(messages, primary)) return primary;
  }
  return defaultLanguage;
}

// translator returns t(key, vars): the string for key in lang (falling back
// to English, then to the key itself) with {name} placeholders replaced.
export function translator(lang) {
  const table = messages[lang] || messages[defaultLanguage];
  const fallback = messages[defaultLanguage];
  return function t(key, vars) {
    let s = Object.hasOwn(table, key) ? table[key] : Object.hasOwn(fallback, key) ? fallback[key] : key;
    if (vars) {
      s = s.replace(/\{(\w+)\}/g, (m, name) => (Object.hasOwn(vars, name) ? String(vars[name]) : m));
    }
    return s;
  };
}

// has reports whether key has a string (in lang or in English).
export function has(lang, key) {
  return Object.hasOwn(messages[lang] || {}, key) || Object.hasOwn(messages[defaultLanguage], key);
}

// translateDocument fills every element carrying data-i18n (text) or
// data-i18n-label (aria-label) below root.
export function translateDocument(root, t) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of root.querySelectorAll('[data-i18n-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  }
}
