import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { SUPPORTED_LOCALES, type Locale } from "../runtime/domain/locales";
import { NOTIFICATION_KINDS, type NotificationKind } from "../runtime/domain/operationKinds";

/**
 * The e-mail templates in `templates/`, one per (notification kind, locale), ready to become SES
 * templates. SES has no partials, so the shared layout is composed into every template here, once,
 * when the catalog is loaded:
 *
 * - `layout.html` holds the slots `[[lang]]`, `[[title]]`, `[[body]]` and `[[footer]]`, each once;
 *   `layout.txt` holds `[[body]]` and `[[footer]]`, each once.
 * - A kind's `<locale>.html` and `<locale>.txt` hold the message, then a line that is exactly
 *   `[[footer]]`, then the footer: the two halves fill the layout's `[[body]]` and `[[footer]]` slots.
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

const TEMPLATE_SLOTS = {
  lang: "[[lang]]",
  title: "[[title]]",
  body: "[[body]]",
  footer: "[[footer]]",
} as const;
type SlotName = keyof typeof TEMPLATE_SLOTS;

const HTML_LAYOUT_FILE = "layout.html";
const TEXT_LAYOUT_FILE = "layout.txt";

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
    ...pairs.flatMap(({ kind, locale }) => Object.values(templateFiles(kind, locale))),
  ];
  const missing = required.filter((file) => !existsSync(path.join(templatesDir, file)));
  if (missing.length > 0) {
    throw new Error(
      `Missing e-mail template file${missing.length > 1 ? "s" : ""} in ${templatesDir}: ${missing.join(", ")}. ` +
        `Every notification kind (${NOTIFICATION_KINDS.join(", ")}) needs <locale>.subject.txt, <locale>.html ` +
        `and <locale>.txt for every locale (${SUPPORTED_LOCALES.join(", ")}).`,
    );
  }

  const read = (file: string) => readFileSync(path.join(templatesDir, file), "utf8").replace(/^\uFEFF/, "");
  const htmlLayout = read(HTML_LAYOUT_FILE);
  const textLayout = read(TEXT_LAYOUT_FILE);
  checkSlots(htmlLayout, HTML_LAYOUT_FILE, ["lang", "title", "body", "footer"]);
  checkSlots(textLayout, TEXT_LAYOUT_FILE, ["body", "footer"]);

  return pairs.map(({ kind, locale }) => {
    const files = templateFiles(kind, locale);
    const subject = readSubject(read(files.subject), files.subject);
    const html = splitAtFooter(read(files.html), files.html);
    const text = splitAtFooter(read(files.text), files.text);
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

function splitAtFooter(source: string, file: string): { body: string; footer: string } {
  const lines = source.split(/\r?\n/);
  const markers = lines.flatMap((line, index) => (line.trim() === TEMPLATE_SLOTS.footer ? [index] : []));
  if (markers.length !== 1) {
    throw new Error(
      `${file} must contain exactly one line "${TEMPLATE_SLOTS.footer}" between the message and its footer ` +
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

function checkSlots(layout: string, file: string, expected: SlotName[]): void {
  for (const [, name] of layout.matchAll(/\[\[([^\]]*)\]\]/g)) {
    if (!(expected as string[]).includes(name)) {
      throw new Error(
        `${file} has an unknown slot [[${name}]]; it may use ${expected.map((slot) => TEMPLATE_SLOTS[slot]).join(", ")}`,
      );
    }
  }
  for (const slot of expected) {
    const count = layout.split(TEMPLATE_SLOTS[slot]).length - 1;
    if (count !== 1)
      throw new Error(`${file} must contain ${TEMPLATE_SLOTS[slot]} exactly once (found ${count})`);
  }
}

/** One pass with a replacer function: slot-like text inside a value is left alone, and so is "$&". */
function fillSlots(layout: string, values: Partial<Record<SlotName, string>>): string {
  return layout.replace(/\[\[([a-z]+)\]\]/g, (marker, name: SlotName) => values[name] ?? marker);
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
