/** What runs inside Lambda: one factory per function, each building its clients once per container. */
export { createOperationsApiHandler, OPERATION_ROUTES } from "./handlers/operationsApi";
export { createCustomersApiHandler, CUSTOMER_ROUTES } from "./handlers/customersApi";
export { createNotifyHandler } from "./handlers/notify";
export { createSesFeedbackHandler } from "./handlers/sesFeedbackHandler";
export type { HandlerOptions } from "./handlers/handlerContext";
