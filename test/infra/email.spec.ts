import { expect } from "chai";
import { loadTemplateCatalog } from "../../components/templateCatalog";
import { SUPPORTED_LOCALES } from "../../runtime/domain/locales";
import { NOTIFICATION_KINDS } from "../../runtime/domain/operationKinds";
import { sesTemplateName } from "../../runtime/domain/templateData";
import { ofType, onlyOfType, stackRun, type StackRun } from "../support/pulumiStacks";

describe("infra: e-mail (SES)", function () {
  this.timeout(120_000);
  let dev: StackRun;
  let prod: StackRun;

  before(async () => {
    [dev, prod] = await Promise.all([stackRun("dev"), stackRun("prod")]);
  });

  it("verifies the sender address in dev, without DKIM or MAIL FROM settings", () => {
    const identity = onlyOfType(dev, "aws:sesv2/emailIdentity:EmailIdentity").inputs;
    expect(identity.emailIdentity).to.equal("notifications-dev@example.com");
    expect(identity.dkimSigningAttributes).to.equal(undefined);
    expect(
      ofType(dev, "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes"),
    ).to.have.length(0);
  });

  it("verifies the domain in prod with Easy DKIM (2048-bit) and a custom MAIL FROM", () => {
    const identity = onlyOfType(prod, "aws:sesv2/emailIdentity:EmailIdentity").inputs;
    expect(identity.emailIdentity).to.equal("notifications.examplebank.com");
    expect(identity.dkimSigningAttributes).to.deep.equal({ nextSigningKeyLength: "RSA_2048_BIT" });
    expect(identity.configurationSetName).to.equal("bank-notif-prod-notifications");
    expect(
      onlyOfType(prod, "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes").inputs,
    ).to.deep.include({
      emailIdentity: "notifications.examplebank.com",
      mailFromDomain: "bounce.notifications.examplebank.com",
      behaviorOnMxFailure: "REJECT_MESSAGE",
    });
  });

  it("publishes the DNS records of the domain identity as an output", () => {
    const records = prod.outputs.dnsRecords as { name: string; type: string }[];
    expect(records.filter((record) => record.type === "CNAME")).to.have.length(3);
    expect(records.map((record) => record.name)).to.include("bounce.notifications.examplebank.com");
    expect(dev.outputs.dnsRecords).to.deep.equal([]);
  });

  it("sends through a configuration set requiring TLS, with reputation metrics and bounce/complaint suppression", () => {
    const set = onlyOfType(prod, "aws:sesv2/configurationSet:ConfigurationSet").inputs;
    expect(set.configurationSetName).to.equal("bank-notif-prod-notifications");
    expect(set.deliveryOptions).to.deep.equal({ tlsPolicy: "REQUIRE" });
    expect(set.reputationOptions).to.deep.equal({ reputationMetricsEnabled: true });
    expect(set.suppressionOptions).to.deep.equal({ suppressedReasons: ["BOUNCE", "COMPLAINT"] });
  });

  it("publishes delivery, bounce, complaint, reject and rendering-failure events to the account's default bus", () => {
    const destination = onlyOfType(
      prod,
      "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination",
    ).inputs;
    expect(destination.configurationSetName).to.equal("bank-notif-prod-notifications");
    expect(destination.eventDestination).to.deep.equal({
      enabled: true,
      matchingEventTypes: ["DELIVERY", "BOUNCE", "COMPLAINT", "REJECT", "RENDERING_FAILURE"],
      eventBridgeDestination: { eventBusArn: "arn:aws:events:eu-west-3:444455556666:event-bus/default" },
    });
  });

  it("creates one SES template per notification kind and locale, named as the runtime names them, from templates/", () => {
    const catalog = loadTemplateCatalog();
    const templates = ofType(prod, "aws:ses/template:Template");
    expect(templates).to.have.length(NOTIFICATION_KINDS.length * SUPPORTED_LOCALES.length);
    for (const kind of NOTIFICATION_KINDS) {
      for (const locale of SUPPORTED_LOCALES) {
        const name = sesTemplateName("bank-notif-prod", kind, locale);
        const template = templates.find((candidate) => candidate.inputs.name === name);
        expect(template, name).to.not.equal(undefined);
        // SES template names: at most 64 letters, digits, "-" and "_".
        // https://docs.aws.amazon.com/ses/latest/APIReference/API_Template.html
        expect(name).to.match(/^[A-Za-z0-9_-]{1,64}$/);
        const source = catalog.find((entry) => entry.kind === kind && entry.locale === locale)!;
        expect(template!.inputs).to.deep.include({
          subject: source.subject,
          html: source.html,
          text: source.text,
        });
      }
    }
    expect(
      ofType(dev, "aws:ses/template:Template").map((template) => String(template.inputs.name)),
    ).to.satisfy((names: string[]) => names.every((name) => name.startsWith("bank-notif-dev-")));
  });
});
