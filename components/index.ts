export { BankNotificationStack, BANK_NOTIFICATION_STACK_TYPE, type DnsRecord } from "./bankNotificationStack";
export {
  DEFAULTS,
  FUNCTION_IDS,
  type AlarmThresholds,
  type BankNotificationStackArgs,
  type FunctionId,
  type LogLevel,
  type ObjectLockMode,
} from "./settings";
