/**
 * JSON text without the whitespace between tokens, as EventBridge passes events and transformed
 * input to targets ("The JSON that is passed to the target is minified":
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html#eb-transform-input-issues).
 * The text is not parsed and serialised again, so a member the producer repeated, or a number's
 * spelling, reaches the target as sent.
 */
export function minifyJson(text: string): string {
  let result = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      result += char;
      if (char === "\\") result += text[++i] ?? "";
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      result += char;
    } else if (!" \t\n\r".includes(char)) {
      result += char;
    }
  }
  return result;
}
