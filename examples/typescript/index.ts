/**
 * Another team's TypeScript program using the component from npm (`npm install
 * bank-notification-stack @pulumi/pulumi @pulumi/aws`). Settings a team usually changes are set
 * here; everything else keeps the component's safe defaults (deletion protection, Object Lock in
 * COMPLIANCE mode, 400-day logs and records, 10-year evidence).
 *
 *     pulumi config set aws:region eu-west-3
 *     pulumi config set --secret hashKey "$(openssl rand -hex 32)"
 *     pulumi up
 */
import * as pulumi from "@pulumi/pulumi";
import { BankNotificationStack, LogLevel, type BankNotificationStackArgs } from "bank-notification-stack";

const config = new pulumi.Config();

const args: BankNotificationStackArgs = {
  namePrefix: "payments-prod",
  senderAddress: "alerts@notifications.examplebank.com",
  sendingDomain: "notifications.examplebank.com",
  hashKey: config.requireSecret("hashKey"),
  producerPrincipalArns: ["arn:aws:iam::444455556666:role/core-banking-producer"],
  customerAdminPrincipalArns: ["arn:aws:iam::444455556666:role/customer-administration"],
  sesMaxSendRate: 50,
  largeAmountThresholds: { EUR: 10_000, GBP: 8_000 },
  // Either the enum's member or its plain string value.
  logLevel: LogLevel.Info,
  evidenceObjectLockMode: "COMPLIANCE",
  alarmEmail: "payments-oncall@examplebank.com",
  alarmThresholds: { apiLatencyP99Ms: 2_000 },
  functionMemoryMb: { notify: 1_024 },
  tags: { team: "payments" },
};

const notifications = new BankNotificationStack("notifications", args);

export const apiUrl = notifications.apiUrl;
export const eventBusName = notifications.eventBusName;
export const eventSource = notifications.eventSource;
export const producerPolicyArn = notifications.producerPolicyArn;
export const customerAdminPolicyArn = notifications.customerAdminPolicyArn;
export const dnsRecords = notifications.dnsRecords;
export const notifyDeadLetterQueueUrl = notifications.deadLetterQueueUrls.notify;
export const dashboardName = notifications.dashboardName;
