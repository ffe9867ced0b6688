export {
  BankNotificationStack,
  BANK_NOTIFICATION_STACK_TYPE,
  DnsRecordType,
  type DeadLetterQueueUrls,
  type DnsRecord,
  type FunctionNames,
} from "./bankNotificationStack";
export {
  DEFAULTS,
  FUNCTION_IDS,
  LogLevel,
  ObjectLockMode,
  type AlarmThresholds,
  type BankNotificationStackArgs,
  type FunctionId,
  type FunctionSettings,
} from "./settings";
