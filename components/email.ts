import * as aws from "@pulumi/aws";
import { loadTemplateCatalog } from "./templateCatalog";
import type { StackContext } from "./context";

/**
 * SES events the feedback function acts on (see the runtime's `interpretSesEvent`): the configuration
 * set publishes exactly these, named by their event destination type and by the `eventType` the
 * published events carry.
 */
export const SES_EVENTS = [
  { destinationType: "DELIVERY", eventType: "Delivery" },
  { destinationType: "BOUNCE", eventType: "Bounce" },
  { destinationType: "COMPLAINT", eventType: "Complaint" },
  { destinationType: "REJECT", eventType: "Reject" },
  { destinationType: "RENDERING_FAILURE", eventType: "Rendering Failure" },
] as const;

/**
 * Sending: the identity (the address in dev, the domain with Easy DKIM and a custom MAIL FROM in
 * prod), the configuration set every e-mail goes through (TLS required, reputation metrics, bounces
 * and complaints suppressed, events to the account's default bus, the only bus SES publishes to),
 * and one SES template per notification kind and locale, from `templates/`.
 */
export function createEmail(ctx: StackContext) {
  const { settings, names } = ctx;
  const configurationSet = new aws.sesv2.ConfigurationSet(
    `${ctx.name}-email`,
    {
      configurationSetName: names.configurationSet,
      deliveryOptions: { tlsPolicy: "REQUIRE" },
      reputationOptions: { reputationMetricsEnabled: true },
      sendingOptions: { sendingEnabled: true },
      suppressionOptions: { suppressedReasons: ["BOUNCE", "COMPLAINT"] },
      tags: settings.tags,
    },
    ctx.opts(),
  );
  const eventDestination = new aws.sesv2.ConfigurationSetEventDestination(
    `${ctx.name}-email-events`,
    {
      configurationSetName: configurationSet.configurationSetName,
      eventDestinationName: "default-event-bus",
      eventDestination: {
        enabled: true,
        matchingEventTypes: SES_EVENTS.map((event) => event.destinationType),
        eventBridgeDestination: { eventBusArn: ctx.arn("events", "event-bus/default") },
      },
    },
    ctx.opts(),
  );
  const identity = new aws.sesv2.EmailIdentity(
    `${ctx.name}-email`,
    {
      emailIdentity: settings.sendingDomain ?? settings.senderAddress,
      configurationSetName: configurationSet.configurationSetName,
      ...(settings.sendingDomain ? { dkimSigningAttributes: { nextSigningKeyLength: "RSA_2048_BIT" } } : {}),
      tags: settings.tags,
    },
    ctx.opts(),
  );
  const mailFrom = settings.sendingDomain
    ? new aws.sesv2.EmailIdentityMailFromAttributes(
        `${ctx.name}-email`,
        {
          emailIdentity: identity.emailIdentity,
          mailFromDomain: `${settings.mailFromSubdomain}.${settings.sendingDomain}`,
          behaviorOnMxFailure: "REJECT_MESSAGE",
        },
        ctx.opts(),
      )
    : undefined;

  const catalog = loadTemplateCatalog();
  const templates = names.templates.map(({ kind, locale, name }) => {
    const source = catalog.find((entry) => entry.kind === kind && entry.locale === locale);
    if (!source) throw new Error(`BankNotificationStack: templates/ has no ${kind} template in ${locale}`);
    return new aws.ses.Template(
      `${ctx.name}-template-${kind}-${locale}`,
      { name, subject: source.subject, html: source.html, text: source.text },
      ctx.opts(),
    );
  });
  return { configurationSet, eventDestination, identity, mailFrom, templates };
}
export type Email = ReturnType<typeof createEmail>;
