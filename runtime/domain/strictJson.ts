import { visit, type JSONPath } from "jsonc-parser";
import type { DomainError, FieldError } from "./errors";
import { validationFailed } from "./validation";

/** `amount.value`, `preferences.optedOutCategories[0]`: the path notation of every field error. */
function fieldPath(path: JSONPath): string {
  const text = path
    .map((segment) => (typeof segment === "number" ? `[${segment}]` : `.${segment}`))
    .join("")
    .replace(/^\./, "");
  return text === "" ? "(body)" : text;
}

function notWellFormed(field: string, what: string): FieldError {
  return {
    field,
    rule: "unicode",
    message: `${field} ${what} holds an unpaired UTF-16 surrogate, which no UTF-8 text can hold; send valid Unicode text`,
  };
}

export interface StrictJsonOptions {
  /** Let strings with an unpaired surrogate through, for a caller that makes them well-formed itself. */
  allowUnpairedSurrogates?: boolean;
}

/**
 * What `JSON.parse` accepts without a word although the sender cannot have meant it: a member name
 * given twice in one object (JSON.parse keeps the last one, so a second `email` or `amount.value`
 * would silently replace the first), and strings with an unpaired surrogate (`"\ud800"`), which are
 * not Unicode text and cannot be stored or sent as UTF-8. The text must already be valid JSON.
 *
 * `jsonc-parser` (the JSON scanner of VS Code) walks the text and hands over each member name and
 * string already unescaped, so `"email"` and `"\u0065mail"` are the same name, as they are to JSON.parse.
 */
export function ambiguousJsonFields(text: string, options: StrictJsonOptions = {}): FieldError[] {
  const checkUnicode = !options.allowUnpairedSurrogates;
  const problems: FieldError[] = [];
  /** The member names seen in each open object; `undefined` for an open array. */
  const open: (Set<string> | undefined)[] = [];
  visit(text, {
    onObjectBegin: () => {
      open.push(new Set());
    },
    onObjectEnd: () => {
      open.pop();
    },
    onArrayBegin: () => {
      open.push(undefined);
    },
    onArrayEnd: () => {
      open.pop();
    },
    onObjectProperty: (name, _offset, _length, _line, _character, pathSupplier) => {
      const field = fieldPath([...pathSupplier(), name]);
      const names = open[open.length - 1];
      if (names?.has(name)) {
        problems.push({
          field,
          rule: "duplicate",
          message: `${field} is given more than once in the same object; send each member once`,
        });
      }
      names?.add(name);
      if (checkUnicode && !name.isWellFormed()) problems.push(notWellFormed(field, "has a name that"));
    },
    onLiteralValue: (value, _offset, _length, _line, _character, pathSupplier) => {
      if (checkUnicode && typeof value === "string" && !value.isWellFormed()) {
        problems.push(notWellFormed(fieldPath(pathSupplier()), "is a string that"));
      }
    },
  });
  return problems;
}

/**
 * Parses a JSON body the strict way: `invalid` is thrown for text that is not JSON, and a
 * VALIDATION_FAILED error naming each field for the ambiguities `ambiguousJsonFields` finds.
 */
export function parseStrictJson(
  text: string,
  invalid: () => DomainError,
  options: StrictJsonOptions = {},
): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid();
  }
  const problems = ambiguousJsonFields(text, options);
  if (problems.length > 0) throw validationFailed(problems);
  return value;
}
