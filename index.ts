import * as pulumi from "@pulumi/pulumi";
import {
  BankNotificationStack,
  type AlarmThresholds,
  type BankNotificationStackArgs,
  type FunctionSettings,
  type LogLevel,
  type ObjectLockMode,
} from "./components";

/**
 * The program: one BankNotificationStack configured by the stack's `Pulumi.<stack>.yaml`. Every
 * setting has the name of the component argument it sets; what a stack leaves out keeps the
 * component's (safe) default. The hash key is a secret and lives in the stack file encrypted:
 *
 *     pulumi config set --secret hashKey "$(openssl rand -hex 32)"
 */
export = () => {
  const config = new pulumi.Config();
  const args: BankNotificationStackArgs = {
    namePrefix: config.get("namePrefix"),
    eventSource: config.get("eventSource"),
    senderAddress: config.require("senderAddress"),
    sendingDomain: config.get("sendingDomain"),
    mailFromSubdomain: config.get("mailFromSubdomain"),
    hashKey: config.requireSecret("hashKey"),
    producerPrincipalArns: config.getObject<string[]>("producerPrincipalArns"),
    customerAdminPrincipalArns: config.getObject<string[]>("customerAdminPrincipalArns"),
    privateApiVpcEndpointIds: config.getObject<string[]>("privateApiVpcEndpointIds"),
    manageApiGatewayAccountRole: config.getBoolean("manageApiGatewayAccountRole"),
    apiStageName: config.get("apiStageName"),
    apiThrottlingRateLimit: config.getNumber("apiThrottlingRateLimit"),
    apiThrottlingBurstLimit: config.getNumber("apiThrottlingBurstLimit"),
    sesMaxSendRate: config.getNumber("sesMaxSendRate"),
    notifyMaxReceiveCount: config.getNumber("notifyMaxReceiveCount"),
    sesSandbox: config.getBoolean("sesSandbox"),
    largeAmountThresholds: config.getObject<Record<string, number>>("largeAmountThresholds"),
    logRetentionDays: config.getNumber("logRetentionDays"),
    logLevel: config.get("logLevel") as LogLevel | undefined,
    recordRetentionDays: config.getNumber("recordRetentionDays"),
    eventArchiveRetentionDays: config.getNumber("eventArchiveRetentionDays"),
    evidenceRetentionDays: config.getNumber("evidenceRetentionDays"),
    evidenceObjectLock: config.getBoolean("evidenceObjectLock"),
    evidenceObjectLockMode: config.get("evidenceObjectLockMode") as ObjectLockMode | undefined,
    protect: config.getBoolean("protect"),
    kmsKeyDeletionWindowDays: config.getNumber("kmsKeyDeletionWindowDays"),
    secretRecoveryWindowDays: config.getNumber("secretRecoveryWindowDays"),
    alarmEmail: config.get("alarmEmail"),
    alarmThresholds: config.getObject<Partial<AlarmThresholds>>("alarmThresholds"),
    sesAccountReputationAlarms: config.getBoolean("sesAccountReputationAlarms"),
    lambdaRuntime: config.get("lambdaRuntime"),
    functionMemoryMb: config.getObject<FunctionSettings>("functionMemoryMb"),
    functionTimeoutSeconds: config.getObject<FunctionSettings>("functionTimeoutSeconds"),
    tags: {
      "bank-notification-stack:stack": pulumi.getStack(),
      ...config.getObject<Record<string, string>>("tags"),
    },
  };
  const notifications = new BankNotificationStack("notifications", args);
  return {
    apiUrl: notifications.apiUrl,
    apiId: notifications.apiId,
    eventBusName: notifications.eventBusName,
    eventBusArn: notifications.eventBusArn,
    eventSource: notifications.eventSource,
    tableName: notifications.tableName,
    evidenceBucketName: notifications.evidenceBucketName,
    notifyQueueUrl: notifications.notifyQueueUrl,
    deadLetterQueueUrls: notifications.deadLetterQueueUrls,
    hashKeySecretArn: notifications.hashKeySecretArn,
    kmsKeyArn: notifications.kmsKeyArn,
    configurationSetName: notifications.configurationSetName,
    emailIdentity: notifications.emailIdentity,
    dnsRecords: notifications.dnsRecords,
    templateNames: notifications.templateNames,
    functionNames: notifications.functionNames,
    alarmTopicArn: notifications.alarmTopicArn,
    dashboardName: notifications.dashboardName,
    producerPolicyArn: notifications.producerPolicyArn,
    customerAdminPolicyArn: notifications.customerAdminPolicyArn,
  };
};
