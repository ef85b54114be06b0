// Outgoing Markdown: a message gets formatted_body only when Markdown changed something.
import { marked } from 'marked';
import { sanitizeMessageHtml } from './sanitize.ts';

export interface TextContent {
  msgtype: 'm.text' | 'm.emote';
  body: string;
  format?: 'org.matrix.custom.html';
  formatted_body?: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function markdownToHtml(text: string): string {
  return sanitizeMessageHtml(marked.parse(text, { gfm: true, breaks: true, async: false }).trim());
}

/** Builds m.text content (or m.emote for "/me ..."), with HTML only when it differs from the text. */
export function textContent(input: string): TextContent {
  const emote = /^\/me\s+/i.test(input);
  const body = emote ? input.replace(/^\/me\s+/i, '') : input;
  const msgtype = emote ? 'm.emote' : 'm.text';
  const html = markdownToHtml(body);
  const plainHtml = `<p>${escapeHtml(body).replace(/\n/g, '<br>')}</p>`;
  if (html === plainHtml || html === `<p>${escapeHtml(body)}</p>`) return { msgtype, body };
  return { msgtype, body, format: 'org.matrix.custom.html', formatted_body: html };
}
