/**
 * Unicode's Bidi_Control characters: U+061C, U+200E, U+200F, U+202A to U+202E and U+2066 to U+2069.
 * They reorder the text displayed around them, so `"Refund \u202Egnp.exe"` reads "Refund exe.png".
 */
const BIDI_CONTROL = /\p{Bidi_Control}/u;
const BIDI_CONTROLS = /\p{Bidi_Control}/gu;

export const BIDI_CONTROL_NAMES = "U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069";

export function hasBidiControl(value: string): boolean {
  return BIDI_CONTROL.test(value);
}

/**
 * Text that reaches an e-mail from the bus, where producers may put events directly: its
 * bidirectional controls removed, so that it displays in the order it was written, and any unpaired
 * surrogate replaced by U+FFFD, so that it can be encoded as UTF-8.
 */
export function displaySafeText(value: string): string {
  return value.toWellFormed().replace(BIDI_CONTROLS, "");
}
