import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { SUPPORTED_LOCALES, type Locale } from "../runtime/domain/locales";
import {
  NOTIFICATION_KINDS,
  isSecurityCritical,
  type NotificationKind,
} from "../runtime/domain/operationKinds";

/**
 * The e-mail templates in `templates/`, one per (notification kind, locale), ready to become SES
 * templates. SES has no partials, so the shared layout and fragments are composed into every template
 * here, once, when the catalog is loaded:
 *
 * - `layout.html` holds the slots `[[lang]]`, `[[title]]`, `[[body]]` and `[[footer]]`, each once;
 *   `layout.txt` holds `[[body]]` and `[[footer]]`, each once.
 * - A kind's `<locale>.html` and `<locale>.txt` hold the message, then a line that is exactly
 *   `[[footer]]`, then the footer: the two halves fill the layout's `[[body]]` and `[[footer]]` slots.
 * - Every kind but the security alerts splices each fragment in once, with a line of its own such as
 *   `[[opt-out category="Account activity"]]`: the line is replaced by `fragments/opt-out.<locale>.html`
 *   (or `.txt`), whose `[[category]]` slot gets the value the line gives.
 * - `[[lang]]` becomes the locale; `[[title]]` becomes the subject, bound to the escaped `html.` values.
 *
 * The slots use `[[ ]]` so they can never be mistaken for Handlebars, which SES renders.
 */
export interface EmailTemplateSource {
  kind: NotificationKind;
  locale: Locale;
  subject: string;
  html: string;
  text: string;
}

const HTML_LAYOUT_FILE = "layout.html";
const TEXT_LAYOUT_FILE = "layout.txt";
const HTML_LAYOUT_SLOTS = ["lang", "title", "body", "footer"] as const;
const TEXT_LAYOUT_SLOTS = ["body", "footer"] as const;
/** The line of a kind's file between its message and its footer. */
const FOOTER_LINE = "[[footer]]";

/**
 * The blocks that every kind but the security alerts shares, and the slots each leaves for the kind
 * to fill. Security alerts use none: they have no amount to detail and cannot be turned off.
 */
const FRAGMENT_SLOTS = {
  /** The operation details table: the kind names the rows whose meaning depends on it. */
  details: ["descriptionLabel", "counterpartyLabel", "counterpartyAccountLabel"],
  /** The footer of the alerts a customer can turn off, naming their category. */
  "opt-out": ["category"],
} as const;
export type FragmentName = keyof typeof FRAGMENT_SLOTS;
const FRAGMENT_NAMES = Object.keys(FRAGMENT_SLOTS) as FragmentName[];

/** A whole line `[[name slot="value" …]]`. */
const MARKER_LINE = /^\[\[([a-z][a-z-]*)((?:\s+[A-Za-z]+="[^"]*")*)\s*\]\]$/;

type BodyPart = "html" | "text";
type Fragments = Record<FragmentName, { file: string; source: string }>;

/** The files one (kind, locale) pair needs, relative to the templates folder. */
export function templateFiles(
  kind: NotificationKind,
  locale: Locale,
): { subject: string; html: string; text: string } {
  return {
    subject: path.join(kind, `${locale}.subject.txt`),
    html: path.join(kind, `${locale}.html`),
    text: path.join(kind, `${locale}.txt`),
  };
}

/** The files of one fragment in one locale, relative to the templates folder. */
export function fragmentFiles(name: FragmentName, locale: Locale): Record<BodyPart, string> {
  return {
    html: path.join("fragments", `${name}.${locale}.html`),
    text: path.join("fragments", `${name}.${locale}.txt`),
  };
}

/**
 * `templates/` of the package this module belongs to: the nearest folder above it that holds a
 * package.json, so it is found from the sources, from `dist/`, and from someone else's node_modules.
 */
function packageTemplatesDir(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(
        `No package.json above ${__dirname}: pass the templates folder to loadTemplateCatalog()`,
      );
    }
    dir = parent;
  }
  return path.join(dir, "templates");
}

export function loadTemplateCatalog(templatesDir: string = packageTemplatesDir()): EmailTemplateSource[] {
  if (!existsSync(templatesDir)) throw new Error(`E-mail templates folder not found: ${templatesDir}`);
  const pairs = NOTIFICATION_KINDS.flatMap((kind) => SUPPORTED_LOCALES.map((locale) => ({ kind, locale })));
  const required = [
    HTML_LAYOUT_FILE,
    TEXT_LAYOUT_FILE,
    ...SUPPORTED_LOCALES.flatMap((locale) =>
      FRAGMENT_NAMES.flatMap((name) => Object.values(fragmentFiles(name, locale))),
    ),
    ...pairs.flatMap(({ kind, locale }) => Object.values(templateFiles(kind, locale))),
  ];
  const missing = required.filter((file) => !existsSync(path.join(templatesDir, file)));
  if (missing.length > 0) {
    throw new Error(
      `Missing e-mail template file${missing.length > 1 ? "s" : ""} in ${templatesDir}: ${missing.join(", ")}. ` +
        `Every notification kind (${NOTIFICATION_KINDS.join(", ")}) needs <locale>.subject.txt, <locale>.html ` +
        `and <locale>.txt, and fragments/ needs <name>.<locale>.html and <name>.<locale>.txt for every ` +
        `fragment (${FRAGMENT_NAMES.join(", ")}), in every locale (${SUPPORTED_LOCALES.join(", ")}).`,
    );
  }

  const read = (file: string) => readFileSync(path.join(templatesDir, file), "utf8").replace(/^\uFEFF/, "");
  const htmlLayout = read(HTML_LAYOUT_FILE);
  const textLayout = read(TEXT_LAYOUT_FILE);
  checkSlots(htmlLayout, HTML_LAYOUT_FILE, HTML_LAYOUT_SLOTS);
  checkSlots(textLayout, TEXT_LAYOUT_FILE, TEXT_LAYOUT_SLOTS);
  const fragments = Object.fromEntries(
    SUPPORTED_LOCALES.map((locale) => [
      locale,
      { html: readFragments(read, locale, "html"), text: readFragments(read, locale, "text") },
    ]),
  );
  const compose = (kind: NotificationKind, locale: Locale, part: BodyPart) => {
    const file = templateFiles(kind, locale)[part];
    return splitAtFooter(spliceFragments(read(file), file, kind, fragments[locale][part]), file);
  };

  return pairs.map(({ kind, locale }) => {
    const files = templateFiles(kind, locale);
    const subject = readSubject(read(files.subject), files.subject);
    const html = compose(kind, locale, "html");
    const text = compose(kind, locale, "text");
    return {
      kind,
      locale,
      subject,
      html: fillSlots(htmlLayout, { lang: locale, title: subjectForHtml(subject), ...html }),
      text: fillSlots(textLayout, text),
    };
  });
}

function readSubject(source: string, file: string): string {
  const subject = source.trim();
  if (subject === "" || /[\r\n]/.test(subject)) {
    throw new Error(`${file} must hold the e-mail subject on a single, non-empty line`);
  }
  return subject;
}

function readFragments(read: (file: string) => string, locale: Locale, part: BodyPart): Fragments {
  const entries = FRAGMENT_NAMES.map((name) => {
    const file = fragmentFiles(name, locale)[part];
    const source = read(file).split(/\r?\n/).join("\n").trimEnd();
    checkSlots(source, file, FRAGMENT_SLOTS[name]);
    return [name, { file, source }] as const;
  });
  return Object.fromEntries(entries) as Fragments;
}

function isFragmentName(name: string): name is FragmentName {
  return (FRAGMENT_NAMES as string[]).includes(name);
}

/** How a kind's file writes a fragment's line, for error messages. */
function fragmentUsage(name: FragmentName): string {
  return `[[${name} ${FRAGMENT_SLOTS[name].map((slot) => `${slot}="…"`).join(" ")}]]`;
}

/**
 * Replaces each fragment line of a kind's file by the fragment, its slots filled with the line's
 * values. Any other `[[ ]]` than the `[[footer]]` line is an error, and so is a fragment that a kind
 * uses twice or, unless it is a security alert, not at all.
 */
function spliceFragments(source: string, file: string, kind: NotificationKind, fragments: Fragments): string {
  const found = new Map(FRAGMENT_NAMES.map((name) => [name, 0]));
  const lines = source.split(/\r?\n/).map((line, index) => {
    if (!/\[\[|\]\]/.test(line) || line.trim() === FOOTER_LINE) return line;
    const where = `${file}, line ${index + 1}`;
    const { name, values } = readFragmentLine(line.trim(), where);
    if (isSecurityCritical(kind)) {
      throw new Error(
        `${where}: ${kind} is a security alert, which uses no fragment (it has no amount to detail and ` +
          `cannot be turned off): write what it needs in the file itself instead of [[${name} …]]`,
      );
    }
    found.set(name, found.get(name)! + 1);
    return fillSlots(fragments[name].source, values);
  });
  for (const [name, count] of found) {
    if (!isSecurityCritical(kind) && count !== 1) {
      throw new Error(
        `${file} must contain exactly one line ${fragmentUsage(name)} (found ${count}): every kind but the ` +
          `security alerts shows the shared ${fragments[name].file}`,
      );
    }
  }
  return lines.join("\n");
}

/** The fragment a line of a kind's file names, and the value it gives each of the fragment's slots. */
function readFragmentLine(
  line: string,
  where: string,
): { name: FragmentName; values: Record<string, string> } {
  const marker = MARKER_LINE.exec(line);
  if (!marker || !isFragmentName(marker[1])) {
    throw new Error(
      `${where}: "${line}" is not a marker the catalog knows. A kind's files may use, each alone on its ` +
        `line: ${[FOOTER_LINE, ...FRAGMENT_NAMES.map(fragmentUsage)].join(", ")}`,
    );
  }
  const name = marker[1];
  const expected: readonly string[] = FRAGMENT_SLOTS[name];
  const given = [...marker[2].matchAll(/([A-Za-z]+)="([^"]*)"/g)].map(([, slot, value]) => ({ slot, value }));
  const problems = [
    ...expected
      .filter((slot) => !given.some((entry) => entry.slot === slot))
      .map((slot) => `${slot} is missing`),
    ...given.flatMap(({ slot, value }, position) => [
      ...(expected.includes(slot) ? [] : [`${slot} is unknown`]),
      ...(given.findIndex((other) => other.slot === slot) < position ? [`${slot} is given twice`] : []),
      ...(value.trim() === "" ? [`${slot} is empty`] : []),
    ]),
  ];
  if (problems.length > 0) {
    throw new Error(
      `${where}: ${problems.join(", ")}. Write ${fragmentUsage(name)}, each value once and not empty.`,
    );
  }
  return { name, values: Object.fromEntries(given.map(({ slot, value }) => [slot, value])) };
}

function splitAtFooter(source: string, file: string): { body: string; footer: string } {
  const lines = source.split(/\r?\n/);
  const markers = lines.flatMap((line, index) => (line.trim() === FOOTER_LINE ? [index] : []));
  if (markers.length !== 1) {
    throw new Error(
      `${file} must contain exactly one line "${FOOTER_LINE}" between the message and its footer ` +
        `(found ${markers.length})`,
    );
  }
  const [marker] = markers;
  return {
    body: lines.slice(0, marker).join("\n").trim(),
    footer: lines
      .slice(marker + 1)
      .join("\n")
      .trim(),
  };
}

/** A layout or fragment holds each of its slots exactly once, and no other. */
function checkSlots(template: string, file: string, expected: readonly string[]): void {
  for (const [, name] of template.matchAll(/\[\[([^\]]*)\]\]/g)) {
    if (!expected.includes(name)) {
      throw new Error(
        `${file} has an unknown slot [[${name}]]; it may use ${expected.map((slot) => `[[${slot}]]`).join(", ")}`,
      );
    }
  }
  for (const slot of expected) {
    const count = template.split(`[[${slot}]]`).length - 1;
    if (count !== 1) throw new Error(`${file} must contain [[${slot}]] exactly once (found ${count})`);
  }
}

/** One pass with a replacer function: slot-like text inside a value is left alone, and so is "$&". */
function fillSlots(template: string, values: Partial<Record<string, string>>): string {
  return template.replace(/\[\[([A-Za-z]+)\]\]/g, (marker, name: string) => values[name] ?? marker);
}

/** The subject as an HTML `<title>`: its literal text escaped, its variables bound to the escaped copy. */
function subjectForHtml(subject: string): string {
  return subject
    .split(/(\{\{[\s\S]*?\}\})/)
    .map((part, index) =>
      index % 2 === 1
        ? part.replace(/\btext\./g, "html.")
        : part.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"),
    )
    .join("");
}

type Handlebars = typeof import("handlebars");
let sesHandlebars: Handlebars | undefined;

/**
 * Renders a template the way SES and the SES emulator do: an isolated Handlebars environment (no
 * custom helpers, no partials), no escaping, missing values rendered empty.
 */
export function renderLikeSes(
  template: EmailTemplateSource,
  data: unknown,
): { subject: string; html: string; text: string } {
  // handlebars is a devDependency: loaded on first render, so that loading the catalog, which is
  // all the published component does, does not need it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  sesHandlebars ??= (require("handlebars") as Handlebars).create();
  const handlebars = sesHandlebars;
  const render = (part: "subject" | "html" | "text") => {
    try {
      return handlebars.compile(handlebars.parse(template[part]), { noEscape: true, strict: false })(data);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `Cannot render the ${part} part of the ${template.kind}/${template.locale} e-mail template: ${reason}`,
        { cause: error },
      );
    }
  };
  return { subject: render("subject"), html: render("html"), text: render("text") };
}
