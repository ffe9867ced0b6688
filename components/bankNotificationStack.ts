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
import { resolveSettings, type BankNotificationStackArgs } from "./settings";
import { createEvidenceBucket, createTable } from "./storage";

export const BANK_NOTIFICATION_STACK_TYPE = "bank-notification-stack:index:BankNotificationStack";

/** Types of the DNS records a domain identity needs. */
export const DnsRecordType = {
  /** An Easy DKIM record: `<token>._domainkey.<domain>` pointing to SES's signing key. */
  Cname: "CNAME",
  /** The custom MAIL FROM domain's mail exchanger: SES's feedback endpoint in the region. */
  Mx: "MX",
  /** The custom MAIL FROM domain's SPF record, allowing SES to send for it. */
  Txt: "TXT",
} as const;
export type DnsRecordType = (typeof DnsRecordType)[keyof typeof DnsRecordType];

/** A DNS record the domain's owner must publish for SES (DKIM, custom MAIL FROM). */
export interface DnsRecord {
  /** Fully qualified record name. */
  name: string;
  /** Record type. */
  type: DnsRecordType;
  /** Record value, as the DNS zone takes it (the MX value includes its priority, 10). */
  value: string;
}

/** URLs of the stack's three dead-letter queues. */
export interface DeadLetterQueueUrls {
  /** Notify queue messages that failed `maxReceiveCount` times (redrive policy). */
  notify: string;
  /** Events the bus rules could not deliver to the notify queue after their retry policy. */
  delivery: string;
  /** SES feedback events the feedback function failed to process (asynchronous invocation failures). */
  feedback: string;
}

/** Physical names of the stack's four Lambda functions. */
export interface FunctionNames {
  /** The operations API function. */
  operationsApi: string;
  /** The customers API function. */
  customersApi: string;
  /** The notify function, fed by the notify queue. */
  notify: string;
  /** The SES feedback function, fed by the default bus. */
  sesFeedback: string;
}

/**
 * Bank operation notifications: operations come in through a SigV4 API or the bus, rules route
 * them to a queue, a function sends one e-mail per notification through SES templates, and SES
 * feedback flows back. Every resource group lives in its own module; this class only wires them.
 */
export class BankNotificationStack extends pulumi.ComponentResource {
  /** Invoke URL of the API stage, `https://<api id>.execute-api.<region>.amazonaws.com/<stage>`. */
  public readonly apiUrl: pulumi.Output<string>;
  /** Id of the REST API (for a private API, callers reach it through the VPC endpoints' DNS names). */
  public readonly apiId: pulumi.Output<string>;
  /** Name of the API stage. */
  public readonly apiStageName: pulumi.Output<string>;
  /** Name of the custom EventBridge bus producers put operation events on. */
  public readonly eventBusName: pulumi.Output<string>;
  /** ARN of the custom EventBridge bus. */
  public readonly eventBusArn: pulumi.Output<string>;
  /** The `source` producers must give their events (the bus rules and the producer policy require it). */
  public readonly eventSource: pulumi.Output<string>;
  /** Name of the DynamoDB table holding customers, operations, notifications and suppressions. */
  public readonly tableName: pulumi.Output<string>;
  /** Name of the S3 bucket holding the evidence of every e-mail sent. */
  public readonly evidenceBucketName: pulumi.Output<string>;
  /** URL of the SQS queue the rules deliver notifications to and the notify function consumes. */
  public readonly notifyQueueUrl: pulumi.Output<string>;
  /** The three dead-letter queues: notify (redrive), delivery (rule targets), feedback (async invocations). */
  public readonly deadLetterQueueUrls: pulumi.Output<DeadLetterQueueUrls>;
  /** ARN of the Secrets Manager secret holding the hash key (never the value). */
  public readonly hashKeySecretArn: pulumi.Output<string>;
  /** ARN of the stack's customer-managed KMS key, which encrypts every data store, queue and log group. */
  public readonly kmsKeyArn: pulumi.Output<string>;
  /** Name of the SES configuration set every e-mail is sent through. */
  public readonly configurationSetName: pulumi.Output<string>;
  /** The SES identity the stack verifies: the sending domain, or the sender address. */
  public readonly emailIdentity: pulumi.Output<string>;
  /** Records to publish in the sending domain's DNS; empty for an address identity. */
  public readonly dnsRecords: pulumi.Output<DnsRecord[]>;
  /** Names of the SES templates, one per notification kind and locale. */
  public readonly templateNames: pulumi.Output<string[]>;
  /** Names of the four Lambda functions. */
  public readonly functionNames: pulumi.Output<FunctionNames>;
  /** ARN of the SNS topic every alarm notifies. */
  public readonly alarmTopicArn: pulumi.Output<string>;
  /** Name of the CloudWatch dashboard. */
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
    this.functionNames = pulumi.output({
      operationsApi: functions.operationsApi.fn.name,
      customersApi: functions.customersApi.fn.name,
      notify: functions.notify.fn.name,
      sesFeedback: functions.sesFeedback.fn.name,
    });
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
