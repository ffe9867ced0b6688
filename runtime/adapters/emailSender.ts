import { createHash } from "node:crypto";
import { GetEmailTemplateCommand, SendEmailCommand, type SESv2Client } from "@aws-sdk/client-sesv2";
import { callAws } from "./awsErrors";

export interface TemplateFingerprint {
  templateName: string;
  /** SHA-256 of the template as SES holds it (subject, HTML, text), for the evidence record. */
  sha256: string;
}

export interface TemplatedEmail {
  to: string;
  templateName: string;
  templateData: unknown;
  tags: Record<string, string>;
}

/**
 * How long a template's fingerprint is trusted. A template change also changes the notify function's
 * configuration (the component passes a digest of all templates), which starts new containers.
 */
export const FINGERPRINT_TTL_MS = 5 * 60 * 1000;

/** SES v2: templated sends through the stack's configuration set, and template fingerprints. */
export function createEmailSender(
  ses: SESv2Client,
  options: { from: string; configurationSetName: string; now: () => number },
) {
  const fingerprints: Record<string, { fetchedAt: number; fingerprint: Promise<TemplateFingerprint> }> = {};

  async function loadFingerprint(templateName: string): Promise<TemplateFingerprint> {
    const result = await callAws("SES GetEmailTemplate", () =>
      ses.send(new GetEmailTemplateCommand({ TemplateName: templateName })),
    );
    const content = result.TemplateContent ?? {};
    const canonical = JSON.stringify({
      subject: content.Subject ?? "",
      html: content.Html ?? "",
      text: content.Text ?? "",
    });
    return { templateName, sha256: createHash("sha256").update(canonical).digest("hex") };
  }

  return {
    /** Cached per container for FINGERPRINT_TTL_MS; a failed fetch is not cached. */
    fingerprint(templateName: string): Promise<TemplateFingerprint> {
      const cached = fingerprints[templateName];
      if (cached && options.now() - cached.fetchedAt < FINGERPRINT_TTL_MS) return cached.fingerprint;
      const fingerprint = loadFingerprint(templateName).catch((error) => {
        delete fingerprints[templateName];
        throw error;
      });
      fingerprints[templateName] = { fetchedAt: options.now(), fingerprint };
      return fingerprint;
    },

    async sendTemplated(email: TemplatedEmail): Promise<string> {
      const result = await callAws("SES SendEmail", () =>
        ses.send(
          new SendEmailCommand({
            FromEmailAddress: options.from,
            Destination: { ToAddresses: [email.to] },
            ConfigurationSetName: options.configurationSetName,
            Content: {
              Template: {
                TemplateName: email.templateName,
                TemplateData: JSON.stringify(email.templateData),
              },
            },
            EmailTags: Object.entries(email.tags).map(([Name, Value]) => ({ Name, Value })),
          }),
        ),
      );
      if (!result.MessageId) throw new Error("SES SendEmail returned no MessageId");
      return result.MessageId;
    },
  };
}
export type EmailSender = ReturnType<typeof createEmailSender>;
