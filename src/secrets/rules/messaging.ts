// Chat, e-mail and SMS services. Formats: Slack's token types (xoxb bot, xoxp user, xoxe
// configuration/rotation, xoxa/xoxr workspace apps, xoxs/xoxo legacy, xapp app-level), Discord bot
// tokens and webhooks, Telegram bot tokens, Teams incoming webhooks; gitleaks' rules of the same
// names for the services recognisable only by the name the value is assigned to.
import type { SecretRule } from '../rule-types.ts';
import { assignedTo, END_DASH, HEX_LOWER, token, tokenOrAssigned, UUID } from './syntax.ts';

/** `SK` + a hex digit, `-us` + a digit: the prefixes spelled out so common words ("task", "en-us") do not open scan windows. */
const HEX_DIGITS = [...'0123456789abcdef'];

export const MESSAGING_RULES: SecretRule[] = [
  token('slack-token', 'Slack token', 'high', [
    String.raw`xox[pe](?:-\d{7,13}){3}-[a-zA-Z0-9]{28,34}`, // user / enterprise user
    String.raw`xoxb-\d{8,13}-\d{8,13}-[a-zA-Z0-9]{20,34}`, // bot
    String.raw`xoxb-\d{8,14}-[a-zA-Z0-9]{18,26}`, // legacy bot
    String.raw`xoxe\.xox[bp]-\d-[A-Za-z0-9]{160,170}`, // configuration access token
    String.raw`xoxe-\d-[A-Za-z0-9]{140,150}`, // configuration refresh token
    String.raw`xox[ar]-(?:\d-)?[0-9a-zA-Z]{8,48}(?:-[0-9a-zA-Z]{6,48}){0,4}`, // workspace app access / refresh
    String.raw`xox[os]-\d{1,13}-\d{1,13}-\d{1,13}-[a-fA-F0-9]{8,64}`, // legacy
    String.raw`xapp-\d-[A-Za-z0-9]{9,12}-\d{10,13}-[a-zA-Z0-9]{64}`, // app-level
  ].join('|'), { keywords: ['xoxb-', 'xoxa-', 'xoxp-', 'xoxr-', 'xoxs-', 'xoxo-', 'xoxe-', 'xoxe.', 'xapp-'], end: END_DASH, glued: true, entropy: 2.5 }),
  {
    id: 'slack-webhook', title: 'Slack incoming webhook / workflow trigger URL', severity: 'high',
    keywords: ['hooks.slack.com'],
    regex: String.raw`(?<secret>hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+]{8,64}(?:/[A-Za-z0-9+]{8,64}){0,3})(?![A-Za-z0-9+/])`,
    // the path's random part is 40 characters and more; shorter ones are truncated examples
    verify: (v) => v.length - 'hooks.slack.com/services/'.length >= 40, entropy: 3.5,
  },
  {
    id: 'discord-token', title: 'Discord bot token / webhook / client secret', severity: 'high',
    keywords: ['discord'],
    regex: [
      String.raw`(?<secret>discord(?:app)?\.com/api/webhooks/\d{17,20}/[\w-]{60,80})${END_DASH}`,
      // bot tokens: base64 user id . timestamp . HMAC (assigned to a discord-named key)
      String.raw`(?<key>(?i:discord)[\w.-]{0,30})["'\x60]?[ \t]{0,5}[:=>,][ \t]{0,5}["'\x60]?(?<secret>[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40})${END_DASH}`,
    ].join('|'),
    entropy: 3.5,
  },
  assignedTo('discord-api-key', 'Discord API key / client id / client secret', 'medium', 'discord', String.raw`[a-f0-9]{64}|[0-9]{18}|[A-Za-z0-9=_-]{32}`, { keywords: ['discord'], entropy: 2.5 }),
  tokenOrAssigned('telegram-bot-token', 'Telegram bot token', 'high', String.raw`\d{8,10}:AA[A-Za-z0-9_-]{33}`, 'telegr', '[0-9]{5,16}:A[A-Za-z0-9_-]{34}', { keywords: [':aa', 'telegr'], end: END_DASH }),
  {
    id: 'microsoft-teams-webhook', title: 'Microsoft Teams incoming webhook URL', severity: 'high',
    keywords: ['webhook.office.com', 'outlook.office.com/webhook'],
    regex: String.raw`(?<secret>https://[a-z0-9-]{1,63}\.webhook\.office\.com/webhookb2/${UUID}@${UUID}/IncomingWebhook/[a-z0-9]{32}/${UUID}(?:/[A-Za-z0-9_-]{20,80})?|https://outlook\.office\.com/webhook/${UUID}@${UUID}/IncomingWebhook/[a-z0-9]{32}/${UUID})`,
    span: 400,
  },
  assignedTo('mattermost-access-token', 'Mattermost access token', 'high', 'mattermost', '[A-Za-z0-9]{26}', { keywords: ['mattermost'], entropy: 3.5 }),
  // Twilio API key SIDs are SK + 32 lower-case hex; auth tokens are 32 hex assigned to a twilio name
  tokenOrAssigned('twilio-api-key', 'Twilio API key / auth token', 'high', `SK${HEX_LOWER}{32}`, 'twilio', `${HEX_LOWER}{32}`, { keywords: [...HEX_DIGITS.map((d) => `sk${d}`), 'twilio'], entropy: 3 }),
  token('sendgrid-api-key', 'SendGrid API key', 'high', String.raw`SG\.[\w-]{22}\.[\w-]{43}`, { keywords: ['sg.'], end: END_DASH }),
  token('sendinblue-api-key', 'Brevo (Sendinblue) API / SMTP key', 'high', 'xkeysib-[a-f0-9]{64}-[a-zA-Z0-9]{16}|xsmtpsib-[a-f0-9]{64}-[a-zA-Z0-9]{16}', { keywords: ['xkeysib-', 'xsmtpsib-'] }),
  assignedTo('mailgun-api-key', 'Mailgun private / public / webhook signing key', 'high', 'mailgun',
    `(?:pub)?key-${HEX_LOWER}{32}|[a-h0-9]{32}-[a-h0-9]{8}-[a-h0-9]{8}`, { keywords: ['mailgun'], entropy: 3 }),
  tokenOrAssigned('mailchimp-api-key', 'Mailchimp API key', 'high', `${HEX_LOWER}{32}-us\\d{1,2}`, 'mailchimp', `${HEX_LOWER}{32}-us\\d{1,2}`, { keywords: [...HEX_DIGITS.slice(0, 10).map((d) => `-us${d}`), 'mailchimp'] }),
  assignedTo('messagebird-api-token', 'MessageBird API key / client id', 'high', 'message[_-]?bird', `[A-Za-z0-9]{25}|${UUID}`, { keywords: ['messagebird', 'message-bird', 'message_bird'], entropy: 3 }),
  assignedTo('sendbird-access-token', 'Sendbird access token / app id', 'high', 'sendbird', `${HEX_LOWER}{40}|${UUID}`, { keywords: ['sendbird'], entropy: 3 }),
  assignedTo('intercom-api-key', 'Intercom access token / client secret', 'high', 'intercom', `[A-Za-z0-9=_-]{60}|${UUID}`, { keywords: ['intercom'], entropy: 3 }),
  assignedTo('zendesk-secret-key', 'Zendesk API token', 'high', 'zendesk', '[A-Za-z0-9]{40}', { keywords: ['zendesk'], entropy: 3.5 }),
];
