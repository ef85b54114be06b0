// Sanitises message HTML (formatted_body) to the spec's safe subset with DOMPurify: no script, no
// styles, no remote images (an <img> becomes its alt text), links open outside the app.
import DOMPurify from 'dompurify';

// Client-server API "m.room.message msgtypes": the tags clients should allow.
const ALLOWED_TAGS = [
  'del', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'p', 'a', 'ul', 'ol', 'sup', 'sub', 'li', 'b', 'i', 'u',
  'strong', 'em', 's', 'strike', 'code', 'hr', 'br', 'div', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'caption',
  'pre', 'span', 'details', 'summary', 'font', 'ruby', 'rp', 'rt',
];
const ALLOWED_ATTR = ['href', 'start', 'class', 'data-mx-color', 'data-mx-bg-color', 'data-mx-spoiler', 'color', 'title'];
const SAFE_LINK = /^(?:https?:|mailto:|matrix:)/i;

const purify = DOMPurify(window);
purify.addHook('uponSanitizeElement', (node, data) => {
  if (data.tagName === 'img' && node instanceof Element) {
    const alt = node.getAttribute('alt') ?? node.getAttribute('title') ?? '';
    node.replaceWith(document.createTextNode(alt));
  }
});
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node instanceof Element && node.tagName === 'A') {
    const href = node.getAttribute('href') ?? '';
    if (!SAFE_LINK.test(href)) node.removeAttribute('href');
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  }
  // Only code-highlighting classes survive; others could restyle the app.
  if (node instanceof Element && node.hasAttribute('class')) {
    const kept = [...node.classList].filter((c) => c.startsWith('language-'));
    if (kept.length) node.setAttribute('class', kept.join(' '));
    else node.removeAttribute('class');
  }
});

export function sanitizeMessageHtml(html: string): string {
  return purify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ADD_ATTR: ['target', 'rel'],
    ALLOW_DATA_ATTR: false,
    // Rich-reply fallbacks repeat the quoted message; the reply is shown from the relation instead.
    ADD_FORBID_CONTENTS: ['mx-reply'],
  });
}
