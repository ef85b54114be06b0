// English strings. Every user-visible string lives here and in zh-CN.ts; {name} marks a parameter.
export const en = {
  'app.name': 'Meowtrix',
  'app.tagline': 'Chat at home, on your own network',
  'app.loading': 'Loading…',

  'language.label': 'Language',
} as const;

export type MessageKey = keyof typeof en;
export type Messages = Record<MessageKey, string>;
