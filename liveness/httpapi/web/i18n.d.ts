// Types of the strings module (i18n.js), shared by the hosted page, the
// SDK's users and the React component.

/** Strings of one language by key; `dir` is "ltr" or "rtl". */
export type Messages = Record<string, string>;

/** Overrides by language tag, then key: {de: {'intro.start': '…'}}. */
export type Overrides = Record<string, Messages>;

/** The shipped languages: en, de, fr, es, pt, hi, zh-Hans, ar. */
export const messages: Record<'en' | 'de' | 'fr' | 'es' | 'pt' | 'hi' | 'zh-Hans' | 'ar', Messages>;

export const defaultLanguage: 'en';

/** The first supported tag among requested and preferred (or a language only overrides define). */
export function pickLanguage(requested: string | null | undefined, preferred?: readonly string[], overrides?: Overrides): string;

/** t(key, vars): the string for key, {name} placeholders replaced. */
export interface Translator {
  (key: string, vars?: Record<string, string | number>): string;
  /** Whether key has a string (overrides, lang or English). */
  has(key: string): boolean;
  readonly lang: string;
  readonly dir: 'ltr' | 'rtl';
}

export function translator(lang: string, overrides?: Overrides): Translator;

export function challengeText(t: Translator, challenge: string): string;
export function hintText(t: Translator, hint: string, challenge: string, serverMessage?: string, burst?: boolean): string;
export function reasonText(t: Translator, reason: string | null | undefined): string;
export function has(lang: string, key: string): boolean;
export function translateDocument(root: ParentNode, t: Translator): void;
