import { expect } from "chai";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { randomBytes } from "node:crypto";
import Handlebars from "handlebars";
import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import {
  fragmentFiles,
  loadTemplateCatalog,
  renderLikeSes,
  templateFiles,
  type EmailTemplateSource,
} from "../../components/templateCatalog";
import { uploadTemplates } from "../../local/bootstrap";
import { SUPPORTED_LOCALES, type Locale } from "../../runtime/domain/locales";
import {
  NOTIFICATION_KINDS,
  isSecurityCritical,
  type NotificationKind,
} from "../../runtime/domain/operationKinds";
import type { OperationEventDetail } from "../../runtime/domain/operationEvent";
import {
  TEMPLATE_NAME_MAX_LENGTH,
  buildTemplateData,
  sesTemplateName,
  type TemplateData,
  type TemplateFields,
} from "../../runtime/domain/templateData";
import {
  SAMPLE_RECIPIENTS,
  sampleOperationDetail,
  sampleTemplateData,
} from "../../tools/sampleNotifications";
import { useLocalServices } from "../support/sharedServices";
import { pathText, templatePaths, valuesAt } from "../support/templatePaths";

type Field = keyof TemplateFields;
type Part = "subject" | "html" | "text";

/** Every field of TemplateFields, so that a field added to the runtime fails to compile here. */
const FIELDS: { readonly [F in Field]-?: "always" | "when-present" } = {
  displayName: "always",
  reference: "always",
  account: "always",
  occurredAt: "always",
  amount: "when-present",
  balanceAfter: "when-present",
  description: "when-present",
  counterpartyName: "when-present",
  counterpartyAccount: "when-present",
};
const FIELD_NAMES = Object.keys(FIELDS) as Field[];

/** Values a template shows unconditionally: an amount for every kind the API requires one for. */
function requiredFields(kind: NotificationKind): Field[] {
  const always = FIELD_NAMES.filter((field) => FIELDS[field] === "always");
  return isSecurityCritical(kind) ? always : [...always, "amount"];
}

/** A blocked card moves no money: its alert has no amount, balance or counterparty to show. */
const NOT_SHOWN: Partial<Record<NotificationKind, Field[]>> = {
  "card-blocked": ["amount", "balanceAfter", "counterpartyName", "counterpartyAccount"],
};
function shownFields(kind: NotificationKind): Field[] {
  return FIELD_NAMES.filter((field) => !(NOT_SHOWN[kind] ?? []).includes(field));
}

const NAMESPACE: Record<Part, keyof TemplateData> = { subject: "text", html: "html", text: "text" };
const PARTS: Part[] = ["subject", "html", "text"];
const HTML_ENTITY = /&(?:[a-z][a-z0-9]*|#[0-9]+|#x[0-9a-f]+);/i;

interface VariableUse {
  path: string;
  /** Shown in the output (a mustache), rather than tested by an {{#if}}. */
  displayed: boolean;
  /** The conditions of the {{#if}} blocks around it. */
  guards: string[];
}

/** The variables a template part uses, and what SES would not accept or what our data cannot feed. */
function analyse(source: string): { uses: VariableUse[]; problems: string[] } {
  const uses: VariableUse[] = [];
  const problems: string[] = [];
  const pathOf = (node: hbs.AST.Node, context: string): string | undefined => {
    const expression = node as hbs.AST.PathExpression;
    if (expression.type !== "PathExpression" || expression.data || expression.depth > 0) {
      problems.push(`${context}: only plain variables such as html.amount are allowed`);
      return undefined;
    }
    return expression.original;
  };
  const walk = (program: hbs.AST.Program, guards: string[]) => {
    for (const statement of program.body) {
      const line = statement.loc.start.line;
      switch (statement.type) {
        case "ContentStatement":
        case "CommentStatement":
          break;
        case "MustacheStatement": {
          const mustache = statement as hbs.AST.MustacheStatement;
          if (mustache.params.length > 0 || mustache.hash)
            problems.push(`line ${line}: helper calls are not allowed`);
          if (!mustache.escaped) problems.push(`line ${line}: use {{ }}, not {{{ }}} or {{& }}`);
          const variable = pathOf(mustache.path, `line ${line}`);
          if (variable) uses.push({ path: variable, displayed: true, guards });
          break;
        }
        case "BlockStatement": {
          const block = statement as hbs.AST.BlockStatement;
          if (block.path.original !== "if" || block.params.length !== 1 || block.hash) {
            problems.push(
              `line ${line}: only {{#if variable}} blocks are used (the data has no lists to {{#each}})`,
            );
            break;
          }
          const condition = pathOf(block.params[0], `line ${line}`);
          if (!condition) break;
          uses.push({ path: condition, displayed: false, guards });
          walk(block.program, [...guards, condition]);
          if (block.inverse) walk(block.inverse, guards);
          break;
        }
        default:
          problems.push(`line ${line}: ${statement.type} is not available in SES templates`);
      }
    }
  };
  walk(Handlebars.parse(source), []);
  return { uses, problems };
}

/** Opening and closing tags match, void elements aside. */
function unbalancedTags(html: string): string[] {
  const voidElements = new Set(["meta", "br", "hr", "img", "link", "input", "col", "source", "wbr"]);
  const open: string[] = [];
  const problems: string[] = [];
  for (const [, closing, name] of html
    .replace(/<!DOCTYPE html>/i, "")
    .matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g)) {
    const tag = name.toLowerCase();
    if (voidElements.has(tag)) continue;
    if (!closing) open.push(tag);
    else if (open.pop() !== tag) problems.push(`</${tag}> does not close the element opened last`);
  }
  return [...problems, ...open.map((tag) => `<${tag}> is never closed`)];
}

function decodeHtml(value: string): string {
  const entities: Record<string, string> = {
    amp: "&",
    lt: "<",
    gt: ">",
    quot: '"',
    "#x27": "'",
    "#x60": "`",
    "#x3D": "=",
  };
  return value.replace(/&(amp|lt|gt|quot|#x27|#x60|#x3D);/g, (_, name: string) => entities[name]);
}

function titleOf(html: string): string {
  const match = /<title>([^<]*)<\/title>/.exec(html);
  expect(match, "the HTML part has a <title>").to.not.equal(null);
  return decodeHtml(match![1]);
}

const catalog = loadTemplateCatalog();
const PAIRS = NOTIFICATION_KINDS.flatMap((kind) => SUPPORTED_LOCALES.map((locale) => ({ kind, locale })));

function templateFor(kind: NotificationKind, locale: Locale): EmailTemplateSource {
  const template = catalog.find((entry) => entry.kind === kind && entry.locale === locale);
  if (!template) throw new Error(`no ${kind}/${locale} template in the catalog`);
  return template;
}

/** The sample operation with hostile free text in every field a producer controls. */
function hostileData(kind: NotificationKind, locale: Locale): TemplateData {
  const sample = sampleOperationDetail(kind, locale);
  const detail: OperationEventDetail = {
    ...sample,
    description: "<script>alert(1)</script>",
    counterparty: { name: 'Tom & "Jerry"', account: sample.account },
  };
  return buildTemplateData(detail, {
    ...SAMPLE_RECIPIENTS[locale],
    displayName: "<img src=x onerror=alert(1)>",
  });
}

describe("e-mail templates", () => {
  it("exist for every notification kind in every supported locale", () => {
    expect(catalog.map(({ kind, locale }) => `${kind}/${locale}`)).to.have.members(
      PAIRS.map(({ kind, locale }) => `${kind}/${locale}`),
    );
    expect(catalog).to.have.length(PAIRS.length);
  });

  for (const { kind, locale } of PAIRS) {
    describe(`${kind}/${locale}`, () => {
      const template = templateFor(kind, locale);
      const data = sampleTemplateData(kind, locale);

      it("uses only SES features, html. variables in the HTML part and text. variables elsewhere", () => {
        for (const part of PARTS) {
          const { uses, problems } = analyse(template[part]);
          expect(problems, `${part} part`).to.deep.equal([]);
          for (const use of uses) {
            const [namespace, field, ...rest] = use.path.split(".");
            expect(namespace, `${part} part uses ${use.path}`).to.equal(NAMESPACE[part]);
            expect(rest, `${part} part uses ${use.path}`).to.deep.equal([]);
            expect(FIELD_NAMES, `${part} part uses ${use.path}`).to.include(field);
          }
        }
      });

      it("shows required values unconditionally, optional ones only under their own {{#if}}, and drops none", () => {
        for (const part of ["html", "text"] as const) {
          const ns = NAMESPACE[part];
          const { uses } = analyse(template[part]);
          const displayed = uses.filter((use) => use.displayed);
          for (const field of requiredFields(kind)) {
            expect(
              displayed.some((use) => use.path === `${ns}.${field}` && use.guards.length === 0),
              `${part} part shows ${ns}.${field} outside any {{#if}}`,
            ).to.equal(true);
          }
          for (const use of displayed) {
            const field = use.path.slice(ns.length + 1) as Field;
            if (requiredFields(kind).includes(field)) continue;
            expect(
              use.guards,
              `${part} part shows optional ${use.path} under {{#if ${use.path}}}`,
            ).to.include(use.path);
          }
          for (const field of shownFields(kind)) {
            expect(
              displayed.some((use) => use.path === `${ns}.${field}`),
              `${part} part shows ${ns}.${field} when the data has it`,
            ).to.equal(true);
          }
        }
      });

      it("puts only formatted values in the subject, never free text", () => {
        const { uses } = analyse(template.subject);
        const fields = uses.map((use) => use.path);
        expect(fields).to.include("text.account");
        if (!isSecurityCritical(kind)) expect(fields).to.include("text.amount");
        for (const field of fields)
          expect(["text.amount", "text.account"], `subject uses ${field}`).to.include(field);
      });

      it("renders the sample notification completely, like SES", () => {
        const email = renderLikeSes(template, data);
        for (const part of PARTS) {
          expect(email[part], `${part} part`).to.not.match(/\{\{|\}\}|\[\[|\]\]/);
          expect(email[part].trim(), `${part} part`).to.not.equal("");
        }
        expect(email.subject).to.equal(email.subject.trim()).and.not.include("\n");
        for (const field of shownFields(kind)) {
          if (data.text[field] === "") continue;
          expect(email.text, `text part shows ${field}`).to.include(data.text[field]);
          expect(email.html, `HTML part shows ${field}`).to.include(data.html[field]);
        }
        expect(
          email.text.split("\n").filter((line) => /:\s*$/.test(line)),
          "text lines with a label and no value",
        ).to.deep.equal([]);
        expect(email.html, "HTML elements left empty").to.not.match(
          /<(td|th|strong|p|h1|title)\b[^>]*>\s*<\/\1>/,
        );
      });

      it("renders in strict mode with only the required values, as SES TestRenderEmailTemplate does", () => {
        const detail: OperationEventDetail = { ...sampleOperationDetail(kind, locale) };
        delete detail.balanceAfter;
        delete detail.description;
        delete detail.counterparty;
        const strict = Handlebars.create();
        const minimal = buildTemplateData(detail, SAMPLE_RECIPIENTS[locale]);
        for (const part of PARTS) {
          expect(
            () => strict.compile(template[part], { strict: true, noEscape: true })(minimal),
            `${part} part`,
          ).to.not.throw();
        }
      });

      it("is a valid, accessible HTML document in the right language, titled with the subject", () => {
        const email = renderLikeSes(template, data);
        expect(email.html.startsWith("<!DOCTYPE html>\n"), "starts with the HTML5 doctype").to.equal(true);
        expect(email.html).to.include(`<html lang="${locale}">`);
        expect(email.html).to.include('<meta charset="utf-8">');
        expect(titleOf(email.html)).to.equal(email.subject);
        expect(unbalancedTags(email.html)).to.deep.equal([]);
        for (const [table] of email.html.matchAll(/<table\b[^>]*>/g)) {
          if (table.includes('role="presentation"')) continue;
          expect(email.html, "a data table has a caption and row headers")
            .to.include("<caption")
            .and.include('<th scope="row"');
        }
        expect(email.html, "no links: bank alerts must not teach customers to click").to.not.match(
          /<a\b|https?:/i,
        );
        expect(email.html, "styles are inline").to.not.match(/<style|<link/i);
      });

      it("keeps HTML entities out of the subject and text parts", () => {
        for (const part of ["subject", "text"] as const) {
          expect(template[part], `${part} source`).to.not.match(HTML_ENTITY);
          expect(renderLikeSes(template, data)[part], `${part} rendered`).to.not.match(HTML_ENTITY);
        }
      });

      it("escapes hostile values in the HTML part and leaves them raw in the text part", () => {
        const hostile = hostileData(kind, locale);
        const email = renderLikeSes(template, hostile);
        expect(email.html).to.not.include("<script").and.not.include("<img");
        expect(email.html).to.include("&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;");
        expect(email.text).to.include("<img src=x onerror=alert(1)>");
        expect(email.html).to.include("&lt;script&gt;alert(1)&lt;/script&gt;");
        expect(email.text).to.include("<script>alert(1)</script>");
        if (shownFields(kind).includes("counterpartyName")) {
          expect(email.html).to.include("Tom &amp; &quot;Jerry&quot;");
          expect(email.text).to.include('Tom & "Jerry"');
        }
        expect(email.text).to.not.match(HTML_ENTITY);
        expect(email.subject).to.not.match(HTML_ENTITY).and.not.include("<");
        expect(unbalancedTags(email.html)).to.deep.equal([]);
      });

      it("stays within SES limits: template name with a 40-character prefix, and content size", () => {
        const name = sesTemplateName("p".repeat(40), kind, locale);
        expect(name.length).to.be.at.most(TEMPLATE_NAME_MAX_LENGTH);
        expect(name).to.match(/^[A-Za-z0-9_-]+$/);
        const bytes = Buffer.byteLength(template.subject + template.html + template.text, "utf8");
        expect(bytes).to.be.below(500 * 1000);
      });
    });
  }

  describe("template data", () => {
    /** The values an operation may lack: free text, balance and counterparty, and a blocked card's amount. */
    const OPTIONAL = [
      "amount",
      "balanceAfter",
      "description",
      "counterpartyName",
      "counterpartyAccount",
    ] as const;
    type Optional = (typeof OPTIONAL)[number];

    /** The sample operation with every optional value, then without those in `absent`. */
    function detailWithout(kind: NotificationKind, locale: Locale, absent: Optional[]): OperationEventDetail {
      const sample = sampleOperationDetail(kind, locale);
      const detail: OperationEventDetail = {
        ...sample,
        amount: sample.amount ?? { value: "12.30", currency: "EUR" },
        balanceAfter: sample.balanceAfter ?? { value: "-45.60", currency: "EUR" },
        description: sample.description ?? "Sample description",
        counterparty: {
          name: sample.counterparty?.name ?? "Jeanne Dupont",
          account: sample.counterparty?.account ?? sample.account,
        },
      };
      if (absent.includes("amount")) delete detail.amount;
      if (absent.includes("balanceAfter")) delete detail.balanceAfter;
      if (absent.includes("description")) delete detail.description;
      if (absent.includes("counterpartyName")) delete detail.counterparty!.name;
      if (absent.includes("counterpartyAccount")) delete detail.counterparty!.account;
      if (!detail.counterparty!.name && !detail.counterparty!.account) delete detail.counterparty;
      return detail;
    }

    /** Every subset of the optional values an operation of this kind may lack (the API requires an amount but for security alerts). */
    function absences(kind: NotificationKind): Optional[][] {
      const optional = OPTIONAL.filter((field) => field !== "amount" || isSecurityCritical(kind));
      return optional.reduce<Optional[][]>(
        (subsets, field) => [...subsets, ...subsets.map((subset) => [...subset, field])],
        [[]],
      );
    }

    it("the path extractor finds variables in mustaches, blocks, lists, helper arguments and parent paths", () => {
      const source =
        "{{a.b}} {{#if c}}{{d}}{{else}}{{e}}{{/if}} {{#each list}}{{x}} {{../f}} {{@index}}{{/each}} " +
        "{{#with g}}{{h}}{{/with}} {{lookup i j}} {{#unless (lookup k l)}}{{n}}{{/unless}} {{@root.m}}";
      expect(templatePaths(source).map(pathText)).to.have.members([
        "a.b",
        "c",
        "d",
        "e",
        "list",
        "list.[].x",
        "f",
        "g",
        "g.h",
        "i",
        "j",
        "k",
        "l",
        "n",
        "m",
      ]);
      expect(valuesAt({ list: [{ x: "1" }, {}] }, ["list", "[]", "x"])).to.deep.equal(["1", undefined]);
    });

    it("has every path that any part of any template references, for every kind, locale and combination of absent values", () => {
      const missing: string[] = [];
      let checked = 0;
      for (const { kind, locale } of PAIRS) {
        const template = templateFor(kind, locale);
        const paths = PARTS.flatMap((part) => templatePaths(template[part]).map((path) => ({ part, path })));
        expect(paths.length, `${kind}/${locale} references variables`).to.be.above(10);
        for (const absent of absences(kind)) {
          const data = buildTemplateData(detailWithout(kind, locale, absent), SAMPLE_RECIPIENTS[locale]);
          for (const { part, path } of paths) {
            checked += 1;
            if (valuesAt(data, path).some((value) => typeof value !== "string")) {
              missing.push(
                `${kind}/${locale} ${part} ${pathText(path)} without ${absent.join(", ") || "nothing"}`,
              );
            }
          }
        }
      }
      expect(missing.slice(0, 20), `${missing.length} missing`).to.deep.equal([]);
      expect(checked).to.be.above(5000);
    });

    it("hides the row of every absent value, as before: no label without its value", () => {
      for (const { kind, locale } of PAIRS) {
        for (const absent of absences(kind)) {
          const where = `${kind}/${locale} without ${absent.join(", ") || "nothing"}`;
          const data = buildTemplateData(detailWithout(kind, locale, absent), SAMPLE_RECIPIENTS[locale]);
          const email = renderLikeSes(templateFor(kind, locale), data);
          expect(
            email.text.split("\n").filter((line) => /:\s*$/.test(line)),
            `${where}: text lines with a label and no value`,
          ).to.deep.equal([]);
          expect(email.html, `${where}: HTML elements left empty`).to.not.match(
            /<(td|th|strong|p|h1|title)\b[^>]*>\s*<\/\1>/,
          );
          for (const field of OPTIONAL) {
            if (data.text[field] === "") continue;
            if (!shownFields(kind).includes(field)) continue;
            expect(email.text, `${where}: text part shows ${field}`).to.include(data.text[field]);
          }
        }
      }
    });
  });

  describe("wording", () => {
    it("shows a French amount the way Intl formats it: 1 234,56 € with a narrow no-break space and a no-break space", () => {
      const email = renderLikeSes(templateFor("deposit", "fr"), sampleTemplateData("deposit", "fr"));
      expect(email.subject).to.equal("Dépôt de 1\u202f234,56\u00a0€ sur votre compte •••• 7890");
      expect(email.text).to.include(
        "Un dépôt de 1\u202f234,56\u00a0€ a été crédité sur votre compte •••• 7890.",
      );
      expect(email.html).to.include("<strong>1\u202f234,56\u00a0€</strong>");
      expect(email.text).to.include("Bonjour Camille Martin,");
    });

    it("shows an English amount and date for the en-GB sample recipient", () => {
      const email = renderLikeSes(templateFor("deposit", "en"), sampleTemplateData("deposit", "en"));
      expect(email.subject).to.equal("Deposit of €1,234.56 to your account •••• 7890");
      expect(email.text).to.include("Dear Alex Morgan,").and.include("14 March 2026 at 09:30 (GMT)");
    });

    it("says the card-blocked alert cannot be turned off and what to do if it was not the customer", () => {
      const expected: Record<Locale, string[]> = {
        fr: [
          "ne peut pas être désactivée",
          "Si vous n’êtes pas à l’origine de ce blocage",
          "service d’opposition",
        ],
        en: ["it cannot be turned off", "If you did not ask for this", "card emergency line"],
      };
      for (const locale of SUPPORTED_LOCALES) {
        const email = renderLikeSes(
          templateFor("card-blocked", locale),
          sampleTemplateData("card-blocked", locale),
        );
        for (const part of ["html", "text"] as const) {
          for (const phrase of expected[locale])
            expect(decodeHtml(email[part].replace(/&nbsp;/g, "\u00a0"))).to.include(phrase);
        }
      }
    });

    it("tells customers how to change their preferences, except in the security alert", () => {
      const preferences: Record<Locale, string> = {
        fr: "Préférences de notification",
        en: "Notification preferences",
      };
      for (const { kind, locale } of PAIRS) {
        const email = renderLikeSes(templateFor(kind, locale), sampleTemplateData(kind, locale));
        if (isSecurityCritical(kind))
          expect(email.text, `${kind}/${locale}`).to.not.include(preferences[locale]);
        else expect(email.text, `${kind}/${locale}`).to.include(preferences[locale]);
      }
    });

    it("fills the shared details and footer with the kind's own row names and alert category", () => {
      const en = renderLikeSes(templateFor("transfer-in", "en"), sampleTemplateData("transfer-in", "en"));
      expect(en.text)
        .to.include("\n  Sender: Durand & Fils SARL\n")
        .and.include("\n  Sender’s account: •••• 2606\n")
        .and.include("your “Account activity” alerts");
      expect(en.html).to.include(">Sender</th>").and.include(">Sender’s account</th>");
      const fr = renderLikeSes(templateFor("card-payment", "fr"), sampleTemplateData("card-payment", "fr"));
      expect(fr.text)
        .to.include("\n  Commerçant\u00a0: CARREFOUR CITY PARIS 11\n")
        .and.include("les alertes «\u00a0Opérations par carte\u00a0»");
      expect(fr.html).to.include(">Commerçant</th>").and.include("«&nbsp;Opérations par carte&nbsp;»");
    });

    it("says the large-amount alert is about an unusually large amount", () => {
      expect(
        renderLikeSes(templateFor("large-amount", "fr"), sampleTemplateData("large-amount", "fr")).subject,
      ).to.equal("Alerte\u00a0: mouvement inhabituel de 25\u202f000,00\u00a0€ sur votre compte •••• 7890");
      expect(
        renderLikeSes(templateFor("large-amount", "en"), sampleTemplateData("large-amount", "en")).text,
      ).to.include("unusually large amount, €25,000.00,");
    });
  });

  describe("renderLikeSes", () => {
    const probe: EmailTemplateSource = {
      kind: "deposit",
      locale: "en",
      subject: "{{text.amount}}",
      html: "<p>{{html.description}}|{{html.missing}}|</p>",
      text: "{{text.description}}",
    };

    it("does not escape, as SES does not, and renders missing values empty", () => {
      const email = renderLikeSes(probe, {
        text: { amount: "<b>1</b>", description: "a & b" },
        html: { description: "<i>" },
      });
      expect(email).to.deep.equal({ subject: "<b>1</b>", html: "<p><i>||</p>", text: "a & b" });
    });

    it("offers no custom helpers, even one registered on the global Handlebars", () => {
      Handlebars.registerHelper("upper", (value: string) => value.toUpperCase());
      try {
        expect(() => renderLikeSes({ ...probe, text: "{{upper text.description}}" }, {})).to.throw(
          /text part of the deposit\/en e-mail template.*upper/,
        );
      } finally {
        Handlebars.unregisterHelper("upper");
      }
    });
  });

  describe("loadTemplateCatalog", () => {
    let dir: string;
    const templatesDir = path.resolve(__dirname, "../../templates");

    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), "templates-"));
      cpSync(templatesDir, dir, { recursive: true });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("loads a given folder the same as the package's own", () => {
      expect(loadTemplateCatalog(dir)).to.deep.equal(catalog);
    });

    it("names a missing kind file and a missing fragment file", () => {
      const missing = [fragmentFiles("details", "fr").text, templateFiles("transfer-in", "fr").text];
      for (const file of missing) unlinkSync(path.join(dir, file));
      expect(() => loadTemplateCatalog(dir)).to.throw(
        Error,
        `Missing e-mail template files in ${dir}: ${missing.join(", ")}.`,
      );
    });

    it("names a missing layout", () => {
      unlinkSync(path.join(dir, "layout.html"));
      expect(() => loadTemplateCatalog(dir)).to.throw(Error, `in ${dir}: layout.html.`);
    });

    it("names a missing templates folder", () => {
      const absent = path.join(dir, "absent");
      expect(() => loadTemplateCatalog(absent)).to.throw(
        Error,
        `E-mail templates folder not found: ${absent}`,
      );
    });

    it("rejects a body without its footer marker, naming the file", () => {
      const file = templateFiles("deposit", "en").html;
      writeFileSync(
        path.join(dir, file),
        readFileSync(path.join(dir, file), "utf8").replace("[[footer]]", ""),
      );
      expect(() => loadTemplateCatalog(dir)).to.throw(
        Error,
        `${file} must contain exactly one line "[[footer]]"`,
      );
    });

    it("rejects a kind without its fragment line, or with two, naming the file", () => {
      const file = templateFiles("deposit", "en").html;
      const source = readFileSync(path.join(dir, file), "utf8");
      const details = source.split("\n").find((line) => line.startsWith("[[details "))!;
      writeFileSync(path.join(dir, file), source.replace(`${details}\n`, ""));
      expect(() => loadTemplateCatalog(dir)).to.throw(
        Error,
        `${file} must contain exactly one line ` +
          '[[details descriptionLabel="…" counterpartyLabel="…" counterpartyAccountLabel="…"]] (found 0): ' +
          `every kind but the security alerts shows the shared ${fragmentFiles("details", "en").html}`,
      );
      writeFileSync(path.join(dir, file), source.replace(details, `${details}\n${details}`));
      expect(() => loadTemplateCatalog(dir)).to.throw(
        Error,
        `${file} must contain exactly one line [[details`,
      );
    });

    it("rejects a fragment line with a value missing, unknown, repeated or empty, naming the file and line", () => {
      const file = templateFiles("transfer-in", "fr").text;
      const source = readFileSync(path.join(dir, file), "utf8");
      const line = source.split("\n").findIndex((text) => text.startsWith("[[details ")) + 1;
      const write = (details: string) =>
        writeFileSync(path.join(dir, file), source.replace(/^\[\[details .*$/m, details));
      write('[[details descriptionLabel="Libellé" counterpartyAccountLabel="Compte de l’émetteur"]]');
      expect(() => loadTemplateCatalog(dir)).to.throw(
        Error,
        `${file}, line ${line}: counterpartyLabel is missing. Write [[details descriptionLabel="…" ` +
          'counterpartyLabel="…" counterpartyAccountLabel="…"]], each value once and not empty.',
      );
      write(
        '[[details descriptionLabel="Libellé" counterpartyLabel="" counterpartyAccountLabel="Compte" ' +
          'payeeLabel="Émetteur" descriptionLabel="Motif"]]',
      );
      expect(() => loadTemplateCatalog(dir)).to.throw(
        Error,
        `${file}, line ${line}: counterpartyLabel is empty, payeeLabel is unknown, descriptionLabel is given twice.`,
      );
    });

    it("rejects any other marker in a kind's file, naming the file and line", () => {
      const file = templateFiles("withdrawal", "en").text;
      writeFileSync(path.join(dir, file), `[[greeting]]\n${readFileSync(path.join(dir, file), "utf8")}`);
      expect(() => loadTemplateCatalog(dir)).to.throw(
        Error,
        `${file}, line 1: "[[greeting]]" is not a marker the catalog knows. A kind's files may use, each ` +
          'alone on its line: [[footer]], [[details descriptionLabel="…" counterpartyLabel="…" ' +
          'counterpartyAccountLabel="…"]], [[opt-out category="…"]]',
      );
    });

    it("rejects a fragment in a security alert, which cannot be turned off", () => {
      const file = templateFiles("card-blocked", "en").text;
      const source = readFileSync(path.join(dir, file), "utf8");
      writeFileSync(
        path.join(dir, file),
        source.replace("[[footer]]\n", '[[footer]]\n[[opt-out category="Security"]]\n'),
      );
      const line = source.split("\n").indexOf("[[footer]]") + 2;
      expect(() => loadTemplateCatalog(dir)).to.throw(
        Error,
        `${file}, line ${line}: card-blocked is a security alert, which uses no fragment`,
      );
    });

    it("rejects a fragment without its slot or with an unknown slot, naming the fragment", () => {
      const file = fragmentFiles("opt-out", "en").html;
      const source = readFileSync(path.join(dir, file), "utf8");
      writeFileSync(path.join(dir, file), source.replace("[[category]]", "Account activity"));
      expect(() => loadTemplateCatalog(dir)).to.throw(
        Error,
        `${file} must contain [[category]] exactly once (found 0)`,
      );
      writeFileSync(path.join(dir, file), source.replace("[[category]]", "[[kind]]"));
      expect(() => loadTemplateCatalog(dir)).to.throw(
        Error,
        `${file} has an unknown slot [[kind]]; it may use [[category]]`,
      );
    });

    it("rejects a layout without its body slot or with an unknown slot", () => {
      const layout = readFileSync(path.join(dir, "layout.txt"), "utf8");
      writeFileSync(path.join(dir, "layout.txt"), layout.replace("[[body]]", ""));
      expect(() => loadTemplateCatalog(dir)).to.throw(
        Error,
        "layout.txt must contain [[body]] exactly once (found 0)",
      );
      writeFileSync(path.join(dir, "layout.txt"), `${layout}[[signature]]\n`);
      expect(() => loadTemplateCatalog(dir)).to.throw(Error, "layout.txt has an unknown slot [[signature]]");
    });

    it("finds the package's templates from an installed copy, whatever the working directory, without handlebars", async () => {
      // The package as npm installs it: compiled code under dist/, templates/ beside package.json.
      // Nothing above the temporary folder provides handlebars, a devDependency: loading must not need it.
      const root = path.resolve(__dirname, "../..");
      const installed = path.join(dir, "node_modules", "bank-notification-stack");
      for (const file of [
        "components/templateCatalog.ts",
        "runtime/domain/locales.ts",
        "runtime/domain/operationKinds.ts",
      ]) {
        mkdirSync(path.dirname(path.join(installed, "dist", file)), { recursive: true });
        cpSync(path.join(root, file), path.join(installed, "dist", file));
      }
      cpSync(templatesDir, path.join(installed, "templates"), { recursive: true });
      writeFileSync(
        path.join(installed, "package.json"),
        JSON.stringify({ name: "bank-notification-stack" }),
      );
      writeFileSync(
        path.join(installed, "templates", templateFiles("deposit", "en").subject),
        "Installed copy\n",
      );

      const previous = process.cwd();
      process.chdir(tmpdir());
      try {
        const copy = (await import(
          pathToFileURL(path.join(installed, "dist", "components", "templateCatalog.ts")).href
        )) as {
          loadTemplateCatalog: typeof loadTemplateCatalog;
        };
        const loaded = copy.loadTemplateCatalog();
        expect(loaded).to.have.length(PAIRS.length);
        expect(loaded.find((entry) => entry.kind === "deposit" && entry.locale === "en")?.subject).to.equal(
          "Installed copy",
        );
      } finally {
        process.chdir(previous);
      }
    });
  });

  describe("through the SES emulator", () => {
    it("renders every template exactly as renderLikeSes does", async () => {
      const services = await useLocalServices();
      const ses = new SESv2Client({});
      const prefix = `tpl-${randomBytes(4).toString("hex")}`;
      await uploadTemplates(ses, prefix);
      const sent: { messageId: string; template: EmailTemplateSource; data: TemplateData }[] = [];
      for (const { kind, locale } of PAIRS) {
        const data = hostileData(kind, locale);
        const result = await ses.send(
          new SendEmailCommand({
            FromEmailAddress: "notifications@bank.example",
            Destination: { ToAddresses: [`${prefix}@example.com`] },
            Content: {
              Template: {
                TemplateName: sesTemplateName(prefix, kind, locale),
                TemplateData: JSON.stringify(data),
              },
            },
          }),
        );
        sent.push({ messageId: result.MessageId!, template: templateFor(kind, locale), data });
      }
      const store = (await (await fetch(`${services.endpoints.ses}/store`)).json()) as {
        emails: { messageId: string; subject: string; body: { html?: string; text?: string } }[];
      };
      for (const { messageId, template, data } of sent) {
        const stored = store.emails.find((email) => email.messageId === messageId);
        expect(stored, `${template.kind}/${template.locale} was stored`).to.not.equal(undefined);
        const expected = renderLikeSes(template, data);
        expect(
          { subject: stored!.subject, html: stored!.body.html, text: stored!.body.text },
          `${template.kind}/${template.locale}`,
        ).to.deep.equal(expected);
      }
    });
  });
});
