import {
  NOTIFICATION_KINDS,
  OPERATION_KINDS,
  type NotificationKind,
  type OperationKind,
} from "../runtime/domain/operationKinds";
import { SUPPORTED_LOCALES } from "../runtime/domain/locales";
import { TEMPLATE_NAME_MAX_LENGTH, sesTemplateName } from "../runtime/domain/templateData";
import { FUNCTION_IDS, type FunctionId } from "./settings";

/**
 * AWS name-length limits of what the stack names. Pulumi mocks accept any name, so the component
 * checks every physical name against these before creating anything.
 */
export const NAME_LIMITS = {
  dynamodbTable: 255,
  s3Bucket: 63,
  kmsAlias: 256,
  eventBus: 256,
  eventArchive: 48,
  eventRule: 64,
  sqsQueue: 80,
  lambdaFunction: 64,
  iamRole: 64,
  iamPolicy: 128,
  logGroup: 512,
  secret: 512,
  sesConfigurationSet: 64,
  sesTemplate: TEMPLATE_NAME_MAX_LENGTH,
  snsTopic: 256,
  cloudwatchAlarm: 255,
  cloudwatchDashboard: 255,
  restApi: 1024,
} as const;
export type NamedKind = keyof typeof NAME_LIMITS;

/** Returns the name, or throws naming the limit it breaks and how to fix it. */
export function checkedName(kind: NamedKind, name: string): string {
  const limit = NAME_LIMITS[kind];
  if (name.length > limit) {
    throw new Error(
      `BankNotificationStack: the ${kind} name "${name}" has ${name.length} characters; AWS allows ${limit}. ` +
        `Choose a shorter namePrefix.`,
    );
  }
  return name;
}

const FUNCTION_SLUGS: Record<FunctionId, string> = {
  operationsApi: "operations-api",
  customersApi: "customers-api",
  notify: "notify",
  sesFeedback: "ses-feedback",
};

/** Every physical name the stack gives, derived from the prefix and checked once. */
export function physicalNames(prefix: string) {
  const byFunction = (make: (slug: string) => string, kind: NamedKind) =>
    Object.fromEntries(FUNCTION_IDS.map((id) => [id, checkedName(kind, make(FUNCTION_SLUGS[id]))])) as Record<
      FunctionId,
      string
    >;
  const logGroupPrefix = `/${prefix}/`;
  return {
    prefix,
    functionSlugs: FUNCTION_SLUGS,
    table: checkedName("dynamodbTable", `${prefix}-notifications`),
    keyAlias: checkedName("kmsAlias", `alias/${prefix}`),
    eventBus: checkedName("eventBus", `${prefix}-operations`),
    eventArchive: checkedName("eventArchive", `${prefix}-operations`),
    notifyQueue: checkedName("sqsQueue", `${prefix}-notify`),
    notifyDlq: checkedName("sqsQueue", `${prefix}-notify-dlq`),
    deliveryDlq: checkedName("sqsQueue", `${prefix}-delivery-dlq`),
    feedbackDlq: checkedName("sqsQueue", `${prefix}-feedback-dlq`),
    operationRules: Object.fromEntries(
      OPERATION_KINDS.map((kind) => [kind, checkedName("eventRule", `${prefix}-${kind}`)]),
    ) as Record<OperationKind, string>,
    largeAmountRule: checkedName("eventRule", `${prefix}-large-amount`),
    sesFeedbackRule: checkedName("eventRule", `${prefix}-ses-feedback`),
    functions: byFunction((slug) => `${prefix}-${slug}`, "lambdaFunction"),
    /** Every log group of the stack lives under this prefix; the key policy lets CloudWatch Logs use the key there only. */
    logGroupPrefix,
    logGroups: byFunction((slug) => `${logGroupPrefix}lambda/${slug}`, "logGroup"),
    apiAccessLogGroup: checkedName("logGroup", `${logGroupPrefix}api/access`),
    secret: checkedName("secret", `${prefix}/hash-key`),
    configurationSet: checkedName("sesConfigurationSet", `${prefix}-notifications`),
    templatePrefix: prefix,
    templates: NOTIFICATION_KINDS.flatMap((kind: NotificationKind) =>
      SUPPORTED_LOCALES.map((locale) => ({
        kind,
        locale,
        name: checkedName("sesTemplate", sesTemplateName(prefix, kind, locale)),
      })),
    ),
    alarmTopic: checkedName("snsTopic", `${prefix}-alarms`),
    alarm: (suffix: string) => checkedName("cloudwatchAlarm", `${prefix}-${suffix}`),
    api: checkedName("restApi", `${prefix}-api`),
    /** Globally unique, so it carries the account and region, known only once the provider answers. */
    evidenceBucket: (accountId: string, region: string) =>
      checkedName("s3Bucket", `${prefix}-evidence-${accountId}-${region}`),
  };
}
export type PhysicalNames = ReturnType<typeof physicalNames>;

/**
 * Names that are unique in the whole account, not per region: IAM roles and policies
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html) and CloudWatch
 * dashboards, whose ARN names no region
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html).
 * They end with the region, so that one prefix (a default `<component>-<stack>` included) can be
 * used in several regions of an account.
 */
export function accountWideNames(prefix: string, region: string) {
  const inRegion = (kind: NamedKind, base: string) => checkedName(kind, `${base}-${region}`);
  return {
    roles: Object.fromEntries(
      FUNCTION_IDS.map((id) => [id, inRegion("iamRole", `${prefix}-${FUNCTION_SLUGS[id]}`)]),
    ) as Record<FunctionId, string>,
    apiGatewayCloudWatchRole: inRegion("iamRole", `${prefix}-apigw-cloudwatch`),
    producerPolicy: inRegion("iamPolicy", `${prefix}-producer`),
    customerAdminPolicy: inRegion("iamPolicy", `${prefix}-customer-admin`),
    dashboard: inRegion("cloudwatchDashboard", prefix),
  };
}
export type AccountWideNames = ReturnType<typeof accountWideNames>;
