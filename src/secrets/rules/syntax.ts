// Regex fragments shared by the rule families. Every quantifier is bounded and adjacent pieces
// are kept disjoint where they repeat, so a hostile line costs linear time.
import type { SecretRule, Severity } from '../rule-types.ts';

/**
 * A token starts here: not glued to a letter, digit or underscore before it — except after an
 * escape such as `\n` in a JSON string (`"…\nAKIA…"`), where the `n` belongs to the escape.
 */
export const START = String.raw`(?:(?<=\\[nrt])|(?<![A-Za-z0-9_]))`;
/** A token ends here: no letter, digit or underscore follows (an escape's backslash may). */
export const END = String.raw`(?![A-Za-z0-9_])`;
/** The same for tokens whose alphabet has `-`. */
export const END_DASH = String.raw`(?![A-Za-z0-9_-])`;
/** …and for base64 values (`+`, `/`, `=`). */
export const END_B64 = String.raw`(?![A-Za-z0-9+/=_-])`;

/**
 * Between a name and its value, in the syntaxes secrets are written in: `=`, `:=`, `::=`, `:::=`,
 * `?=`, `??=`, `.=`, `+=`, `=>`, `->`, `:`, `>` (an XML element), `,` (`setProperty("NAME", "value")`),
 * `||`; a closing quote of the name first (JSON, logstash), and a type between name and `=`
 * (`var x string = …`, `val x: String = …`; `String x = …` has its type before the name). Also the
 * name/value pairs of XML (`<add key="NAME" value="…"/>`) and of environment lists
 * (`- name: NAME⏎  value: …`, `{"name": "NAME", "value": …}`).
 */
export const ASSIGN = '(?:' + [
  // an operator, after the name's closing quote if it has one
  String.raw`["'\x60]?[ \t]{0,5}(?:=>|->|\|\||:{1,3}=|[?]{1,2}=|[.+]=|[=:>])`,
  // a type between an unquoted name and `=` (`var x string = …`, `val x: String = …`)
  String.raw`(?::[ \t]{0,4}|[ \t]{1,4})[A-Za-z][\w.<>\[\]*?]{0,24}[ \t]{0,4}=(?![=>])`,
  // a call's first two arguments (`setProperty("NAME", "value")`, `put('password', '…')`): only right
  // after `(`, so a list of quoted words (`"BasicAuthHandler", "ProxyAuthHandler"`) is not one
  String.raw`(?<=\([ \t]{0,3}["'][\w.-]{1,80})["'][ \t]{0,3},[ \t]{0,3}(?=["'])`,
  String.raw`["'][ \t]{1,5}(?i:value|content)[ \t]{0,3}=`,
  String.raw`["']?[ \t]{0,3}(?:,[ \t]{0,3}|\r?\n[ \t]{0,20})["']?(?i:value)["']?[ \t]{0,3}:`,
].map((a) => `(?:${a})`).join('|') + ')';
/** Before the value: blanks, or — after an XML element's `>` only — a line break and indentation, then an opening quote. */
export const VALUE_START = String.raw`(?:[ \t]{0,5}|(?<=>)[ \t]{0,5}\r?\n[ \t]{0,24})["'\x60]?`;
/** After the value: a quote, a blank, a separator, an escape (`\n` in a JSON string), a closing bracket, or the end. */
export const VALUE_END = String.raw`(?=["'\x60\s;,<)}\]|&\\]|$)`;

/** Common value alphabets (gitleaks' rules are case-insensitive: `[a-z0-9]` there admits capitals). */
export const ALNUM = '[A-Za-z0-9]';
export const HEX = '[a-fA-F0-9]';
export const HEX_LOWER = '[a-f0-9]';
export const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

export interface RuleOpts extends Partial<Omit<SecretRule, 'id' | 'title' | 'severity' | 'regex'>> {
  keywords: string[];
}

/** A self-identifying token: a distinctive prefix and body, bounded on both sides. */
export function token(id: string, title: string, severity: Severity, body: string, opts: RuleOpts & { glued?: boolean; end?: string }): SecretRule {
  const { glued, end, ...rest } = opts;
  return { id, title, severity, regex: `${glued ? '' : START}(?<secret>${body})${end ?? END}`, entropy: 3, ...rest };
}

/**
 * A value assigned to a name containing one of `names` (a provider's name: `adafruit`,
 * `LINKEDIN_CLIENT_SECRET`…) — for providers whose keys have no prefix of their own, so only the
 * name says whose they are. `value` is the value's exact shape; it must end at a value boundary.
 */
export function assignedTo(id: string, title: string, severity: Severity, names: string, value: string, opts: RuleOpts): SecretRule {
  return { id, title, severity, regex: assigned(names, value), entropy: 2.5, ...opts };
}

/**
 * A provider's name starts a word: after a non-letter, or a capital after a lower-case letter
 * (`myEtsyKey`) — not inside another word (`socketsymbol` holds no Etsy key).
 */
export const NAME_START = '(?:(?<![A-Za-z])|(?<![A-Z])(?=[A-Z]))';

/** The regex of `assignedTo`, to combine with a token form in one rule. */
export function assigned(names: string, value: string): string {
  return `(?<key>${NAME_START}(?i:${names})[\\w.-]{0,30})${ASSIGN}${VALUE_START}(?<secret>${value})${VALUE_END}`;
}

/** A rule matching a self-identifying token or, for older or prefix-less forms, a value assigned to the provider's name. */
export function tokenOrAssigned(id: string, title: string, severity: Severity, body: string, names: string, value: string, opts: RuleOpts & { end?: string }): SecretRule {
  const { end, ...rest } = opts;
  return { id, title, severity, regex: `${START}(?<secret>${body})${end ?? END}|${assigned(names, value)}`, entropy: 3, ...rest };
}
