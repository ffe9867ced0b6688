/**
 * SES substitutes template data into the HTML part verbatim, so every value bound for HTML is
 * escaped here first. Same replacements as Handlebars' own escaping.
 */
const HTML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#x27;",
  "`": "&#x60;",
  "=": "&#x3D;",
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`=]/g, (char) => HTML_ENTITIES[char]);
}
