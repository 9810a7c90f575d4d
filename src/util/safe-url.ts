/** Strip credentials and query strings from URLs in messages (signed feed URLs carry tokens). */
export function safeUrl(url: string): string {
  try { const u = new URL(url); u.username = ''; u.password = ''; u.search = ''; return u.toString(); } catch { return '(invalid URL)'; }
}
