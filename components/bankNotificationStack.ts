import * as pulumi from "@pulumi/pulumi";
import { createAccessPolicies } from "./accessPolicies";
import { createApi } from "./api";
import { createStackContext } from "./context";
import { createEmail } from "./email";
import { createEventInfrastructure, createRouting } from "./events";
import { createFunctions } from "./functions";
import { createStackKey } from "./kms";
import { createMonitoring } from "./monitoring";
import { physicalNames } from "./naming";
import { createHashKeySecret } from "./secrets";
import { FUNCTION_IDS, resolveSettings, type BankNotificationStackArgs, type FunctionId } from "./settings";
import { createEvidenceBucket, createTable } from "./storage";

export const BANK_NOTIFICATION_STACK_TYPE = "bank-notification-stack:index:BankNotificationStack";

/** A DNS record the domain's owner must publish for SES (DKIM, custom MAIL FROM). */
export interface DnsRecord {
  name: string;
  type: "CNAME" | "MX" | "TXT";
  value: string;
}

/**
 * Bank operation notifications: operations come in through a SigV4 API or the bus, rules route
 * them to a queue, a function sends one e-mail per notification through SES templates, and SES
 * feedback flows back. Every resource group lives in its own module; this class only wires them.
 */
export class BankNotificationStack extends pulumi.ComponentResource {
  /** Invoke URL of the API stage. */
  public readonly apiUrl: pulumi.Output<string>;
  public readonly apiId: pulumi.Output<string>;
  public readonly apiStageName: pulumi.Output<string>;
  public readonly eventBusName: pulumi.Output<string>;
  public readonly eventBusArn: pulumi.Output<string>;
  public readonly eventSource: pulumi.Output<string>;
  public readonly tableName: pulumi.Output<string>;
  public readonly evidenceBucketName: pulumi.Output<string>;
  public readonly notifyQueueUrl: pulumi.Output<string>;
  /** The three dead-letter queues: notify (redrive), delivery (rule targets), feedback (async invocations). */
  public readonly deadLetterQueueUrls: pulumi.Output<{ notify: string; delivery: string; feedback: string }>;
  /** ARN of the Secrets Manager secret holding the hash key (never the value). */
  public readonly hashKeySecretArn: pulumi.Output<string>;
  public readonly kmsKeyArn: pulumi.Output<string>;
  public readonly configurationSetName: pulumi.Output<string>;
  public readonly emailIdentity: pulumi.Output<string>;
  /** Records to publish in the sending domain's DNS; empty for an address identity. */
  public readonly dnsRecords: pulumi.Output<DnsRecord[]>;
  public readonly templateNames: pulumi.Output<string[]>;
  public readonly functionNames: pulumi.Output<Record<FunctionId, string>>;
  public readonly alarmTopicArn: pulumi.Output<string>;
  public readonly dashboardName: pulumi.Output<string>;
  /** Attach to core-banking producers: POST /operations and PutEvents on the bus with the stack's source. */
  public readonly producerPolicyArn: pulumi.Output<string>;
  /** Attach to the customer administration: every API route but `POST /operations`. */
  public readonly customerAdminPolicyArn: pulumi.Output<string>;

  constructor(name: string, args: BankNotificationStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super(BANK_NOTIFICATION_STACK_TYPE, name, {}, opts);
    const settings = resolveSettings(name, pulumi.getStack(), args);
    const ctx = createStackContext(name, this, settings, physicalNames(settings.namePrefix));

    const { key } = createStackKey(ctx);
    const hashKey = createHashKeySecret(ctx, key);
    const table = createTable(ctx, key);
    const evidence = createEvidenceBucket(ctx, key);
    const email = createEmail(ctx);
    const events = createEventInfrastructure(ctx, key);
    const functions = createFunctions(ctx, {
      key,
      table,
      hashKeySecret: hashKey.secret,
      evidenceBucket: evidence.bucket,
      eventBus: events.bus,
      notifyQueue: events.notifyQueue,
      feedbackDlq: events.feedbackDlq,
      email,
    });
    createRouting(ctx, events, functions, email.configurationSet);
    const api = createApi(ctx, functions, key);
    const monitoring = createMonitoring(ctx, key);
    const policies = createAccessPolicies(ctx, { restApi: api.restApi, eventBus: events.bus });

    this.apiUrl = api.url;
    this.apiId = api.restApi.id;
    this.apiStageName = api.stage.stageName;
    this.eventBusName = events.bus.name;
    this.eventBusArn = events.bus.arn;
    this.eventSource = pulumi.output(settings.eventSource);
    this.tableName = table.name;
    this.evidenceBucketName = evidence.bucket.bucket;
    this.notifyQueueUrl = events.notifyQueue.url;
    this.deadLetterQueueUrls = pulumi
      .all([events.notifyDlq.url, events.deliveryDlq.url, events.feedbackDlq.url])
      .apply(([notify, delivery, feedback]) => ({ notify, delivery, feedback }));
    this.hashKeySecretArn = hashKey.secret.arn;
    this.kmsKeyArn = key.arn;
    this.configurationSetName = email.configurationSet.configurationSetName;
    this.emailIdentity = email.identity.emailIdentity;
    this.dnsRecords = dnsRecordsFor(settings.sendingDomain, settings.mailFromSubdomain, email, ctx.region);
    this.templateNames = pulumi.all(email.templates.map((template) => template.name));
    this.functionNames = pulumi
      .all(FUNCTION_IDS.map((id) => functions[id].fn.name))
      .apply(
        (names) =>
          Object.fromEntries(FUNCTION_IDS.map((id, index) => [id, names[index]])) as Record<
            FunctionId,
            string
          >,
      );
    this.alarmTopicArn = monitoring.topic.arn;
    this.dashboardName = monitoring.dashboard.dashboardName;
    this.producerPolicyArn = policies.producer.arn;
    this.customerAdminPolicyArn = policies.customerAdmin.arn;

    this.registerOutputs({
      apiUrl: this.apiUrl,
      apiId: this.apiId,
      apiStageName: this.apiStageName,
      eventBusName: this.eventBusName,
      eventBusArn: this.eventBusArn,
      eventSource: this.eventSource,
      tableName: this.tableName,
      evidenceBucketName: this.evidenceBucketName,
      notifyQueueUrl: this.notifyQueueUrl,
      deadLetterQueueUrls: this.deadLetterQueueUrls,
      hashKeySecretArn: this.hashKeySecretArn,
      kmsKeyArn: this.kmsKeyArn,
      configurationSetName: this.configurationSetName,
      emailIdentity: this.emailIdentity,
      dnsRecords: this.dnsRecords,
      templateNames: this.templateNames,
      functionNames: this.functionNames,
      alarmTopicArn: this.alarmTopicArn,
      dashboardName: this.dashboardName,
      producerPolicyArn: this.producerPolicyArn,
      customerAdminPolicyArn: this.customerAdminPolicyArn,
    });
  }
}

/** Easy DKIM CNAMEs and the custom MAIL FROM MX and SPF records of a domain identity. */
function dnsRecordsFor(
  domain: string | undefined,
  mailFromSubdomain: string,
  email: ReturnType<typeof createEmail>,
  region: pulumi.Output<string>,
): pulumi.Output<DnsRecord[]> {
  if (!domain) return pulumi.output([]);
  const mailFromDomain = `${mailFromSubdomain}.${domain}`;
  return pulumi
    .all([email.identity.dkimSigningAttributes, region])
    .apply(([dkim, currentRegion]): DnsRecord[] => [
      ...(dkim?.tokens ?? []).map((token): DnsRecord => ({
        name: `${token}._domainkey.${domain}`,
        type: "CNAME",
        value: `${token}.dkim.amazonses.com`,
      })),
      { name: mailFromDomain, type: "MX", value: `10 feedback-smtp.${currentRegion}.amazonses.com` },
      { name: mailFromDomain, type: "TXT", value: "v=spf1 include:amazonses.com ~all" },
    ]);
}
