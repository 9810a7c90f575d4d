// Social networks, media and content APIs. Formats: Facebook page tokens (EAA[MC]…) and app
// tokens (app id | secret), Twitter/X bearer tokens (22 A's then URL-safe text), Dropbox
// short-lived (sl.) and long-lived tokens, Mapbox tokens (pk./sk./tk. + base64 JSON + "." + 22),
// Adafruit IO keys (aio_); gitleaks' rules of the same names for keys recognisable only by name.
import type { SecretRule } from '../rule-types.ts';
import { assigned, assignedTo, END_DASH, START, token, tokenOrAssigned } from './syntax.ts';

export const SOCIAL_RULES: SecretRule[] = [
  {
    id: 'facebook-token', title: 'Facebook access token / app secret', severity: 'high',
    keywords: ['eaam', 'eaac', 'facebook'],
    regex: [
      `${START}(?<secret>EAA[MC][A-Za-z0-9]{100,400})${END_DASH}`,
      assigned('facebook', String.raw`[a-f0-9]{32}|\d{15,16}(?:\||%7[Cc])[0-9A-Za-z_-]{27,40}`),
    ].join('|'),
    entropy: 3,
  },
  {
    id: 'twitter-token', title: 'Twitter / X API key, secret, access token or bearer token', severity: 'high',
    keywords: ['aaaaaaaaaaaaaaaaaaaaaa', 'twitter'],
    regex: [
      `${START}(?<secret>A{22}[A-Za-z0-9%]{80,100})${END_DASH}`,
      assigned('twitter', String.raw`[A-Za-z0-9]{25}|[A-Za-z0-9]{45}|[A-Za-z0-9]{50}|\d{15,25}-[A-Za-z0-9]{20,40}`),
    ].join('|'),
    entropy: 3.5,
  },
  assignedTo('linkedin-client-secret', 'LinkedIn client id / secret', 'high', 'linked[_-]?in', '[A-Za-z0-9]{14}|[A-Za-z0-9]{16}', { keywords: ['linkedin', 'linked_in', 'linked-in'], entropy: 3 }),
  assignedTo('flickr-access-token', 'Flickr API key', 'high', 'flickr', '[A-Za-z0-9]{32}', { keywords: ['flickr'], entropy: 3.5 }),
  assignedTo('nytimes-access-token', 'New York Times API key', 'high', 'nytimes|new-york-times|newyorktimes', '[A-Za-z0-9=_-]{32}', { keywords: ['nytimes', 'new-york-times', 'newyorktimes'], entropy: 3.5 }),
  assignedTo('dropbox-api-token', 'Dropbox API token (short-lived, long-lived, app key)', 'high', 'dropbox',
    String.raw`sl\.[A-Za-z0-9=_-]{130,150}|[A-Za-z0-9]{11}AAAAAAAAAA[A-Za-z0-9=_-]{43}|[A-Za-z0-9]{15}`, { keywords: ['dropbox'], entropy: 3 }),
  assignedTo('twitch-api-token', 'Twitch API token', 'high', 'twitch', '[A-Za-z0-9]{30}', { keywords: ['twitch'], entropy: 3.5 }),
  tokenOrAssigned('adobe-client-secret', 'Adobe client secret / client id', 'high', 'p8e-[A-Za-z0-9]{32}', 'adobe', '[a-f0-9]{32}', { keywords: ['p8e-', 'adobe'] }),
  tokenOrAssigned('adafruit-api-key', 'Adafruit IO key', 'high', 'aio_[A-Za-z0-9]{28}', 'adafruit', '[A-Za-z0-9_-]{32}', { keywords: ['aio_', 'adafruit'], entropy: 3.5 }),
  assignedTo('beamer-api-token', 'Beamer API key', 'high', 'beamer', 'b_[A-Za-z0-9=_-]{44}', { keywords: ['beamer'], entropy: 3.5 }),
  // secret (sk.) and temporary (tk.) tokens anywhere; public ones (pk., meant for browsers) only as a Mapbox setting
  tokenOrAssigned('mapbox-api-token', 'Mapbox access token', 'medium', String.raw`[st]k\.eyJ[A-Za-z0-9_-]{20,300}\.[A-Za-z0-9_-]{20,30}`,
    'mapbox', String.raw`pk\.[A-Za-z0-9_-]{60,300}\.[A-Za-z0-9_-]{22}`, { keywords: ['sk.eyj', 'tk.eyj', 'mapbox'], end: END_DASH, entropy: 3.5 }),
];
