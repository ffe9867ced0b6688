import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadTemplateCatalog, renderLikeSes } from "../components/templateCatalog";
import { SUPPORTED_LOCALES, isSupportedLocale } from "../runtime/domain/locales";
import { NOTIFICATION_KINDS, isNotificationKind } from "../runtime/domain/operationKinds";
import { sampleTemplateData } from "./sampleNotifications";

const USAGE = `Usage: npm run preview -- <kind> <locale> [--html FILE]

Renders one e-mail template with sample data, the way SES does, and prints its subject,
text part and HTML part. With --html FILE, the HTML part is written to FILE instead.

  kind     ${NOTIFICATION_KINDS.join(", ")}
  locale   ${SUPPORTED_LOCALES.join(", ")}`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function main(argv: string[]): void {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { html: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const [kind, locale, ...extra] = parsed.positionals;
  if (kind === undefined || locale === undefined) fail("Give a notification kind and a locale.");
  if (extra.length > 0) fail(`Unexpected argument: ${extra.join(" ")}`);
  if (!isNotificationKind(kind)) fail(`Unknown notification kind "${kind}".`);
  if (!isSupportedLocale(locale)) fail(`Unknown locale "${locale}".`);

  const template = loadTemplateCatalog().find((entry) => entry.kind === kind && entry.locale === locale);
  if (!template) throw new Error(`The catalog has no ${kind}/${locale} template`);
  const email = renderLikeSes(template, sampleTemplateData(kind, locale));

  const out: string[] = [`Subject: ${email.subject}`, "", "--- text part ---", email.text.trimEnd(), ""];
  if (parsed.values.html === undefined) {
    out.push("--- HTML part ---", email.html.trimEnd(), "");
  } else {
    writeFileSync(parsed.values.html, email.html);
    out.push(`HTML part written to ${parsed.values.html}`, "");
  }
  process.stdout.write(out.join("\n"));
}

main(process.argv.slice(2));
