import { requireSettings } from "../config/environment";
import { applyCustomerPatch, validateCustomerPatch, validateCustomerProfile } from "../domain/customerSchema";
import { ERROR_CODES, domainError } from "../domain/errors";
import { IDENTIFIER_PATTERN } from "../domain/validation";
import { createCustomerRepository, type CustomerRecord } from "../adapters/customerRepository";
import { createOperationRepository } from "../adapters/operationRepository";
import { createHandlerContext, type HandlerOptions } from "./handlerContext";
import {
  errorResponse,
  json,
  parseJsonBody,
  pathParameter,
  routeNotFound,
  type ApiEvent,
  type ApiResult,
} from "./http";
import { operationView } from "./operationsApi";

export const CUSTOMER_ROUTES = {
  put: { method: "PUT", resource: "/customers/{id}" },
  get: { method: "GET", resource: "/customers/{id}" },
  patch: { method: "PATCH", resource: "/customers/{id}" },
  erase: { method: "DELETE", resource: "/customers/{id}" },
  operations: { method: "GET", resource: "/customers/{id}/operations" },
} as const;

const OPERATIONS_PAGE_SIZE = 50;

function customerView(record: CustomerRecord) {
  if (record.erased || !record.profile) {
    return { customerId: record.customerId, erased: true, erasedAt: record.erasedAt };
  }
  return {
    customerId: record.customerId,
    ...record.profile,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

function customerIdFrom(event: ApiEvent): string {
  const id = pathParameter(event, "id");
  if (!IDENTIFIER_PATTERN.test(id)) {
    throw domainError(ERROR_CODES.validationFailed, "The customer id in the path is invalid", {
      fields: [{ field: "id", rule: "matches", message: 'id must be 1 to 64 letters, digits, "-" or "_"' }],
    });
  }
  return id;
}

/**
 * `PUT /customers/{id}` creates or replaces a profile, `PATCH` changes some fields (preferences
 * included), `GET` reads it, `DELETE` erases its personal data and keeps a tombstone, and
 * `GET /customers/{id}/operations` lists the customer's operations, newest first.
 */
export function createCustomersApiHandler(options: HandlerOptions = {}) {
  const context = createHandlerContext("customers-api", options);
  const settings = requireSettings(context.env, ["tableName"]);
  const customers = createCustomerRepository(context.documents(), settings.tableName);
  const operations = createOperationRepository(context.documents(), settings.tableName);
  const nowIso = () => new Date(context.now()).toISOString();

  async function requireLiveCustomer(
    customerId: string,
  ): Promise<CustomerRecord & { profile: NonNullable<CustomerRecord["profile"]> }> {
    const record = await customers.get(customerId);
    if (!record)
      throw domainError(
        ERROR_CODES.notFound,
        `Customer ${customerId} does not exist; create it with PUT first`,
      );
    if (record.erased || !record.profile)
      throw domainError(ERROR_CODES.notFound, `Customer ${customerId} was erased`);
    return record as CustomerRecord & { profile: NonNullable<CustomerRecord["profile"]> };
  }

  const routes: Record<string, (event: ApiEvent, customerId: string) => Promise<ApiResult>> = {
    [`${CUSTOMER_ROUTES.put.method} ${CUSTOMER_ROUTES.put.resource}`]: async (event, customerId) => {
      const profile = validateCustomerProfile(parseJsonBody(event));
      const record = await customers.put(customerId, profile, nowIso());
      context.logger.info("customer saved", { customerId });
      return json(200, customerView(record));
    },
    [`${CUSTOMER_ROUTES.get.method} ${CUSTOMER_ROUTES.get.resource}`]: async (_event, customerId) => {
      return json(200, customerView(await requireLiveCustomer(customerId)));
    },
    [`${CUSTOMER_ROUTES.patch.method} ${CUSTOMER_ROUTES.patch.resource}`]: async (event, customerId) => {
      const patch = validateCustomerPatch(parseJsonBody(event));
      const current = await requireLiveCustomer(customerId);
      try {
        const record = await customers.replaceIfUnchanged(
          customerId,
          applyCustomerPatch(current.profile, patch),
          current.updatedAt,
          nowIso(),
        );
        context.logger.info("customer updated", { customerId, fields: Object.keys(patch) });
        return json(200, customerView(record));
      } catch (error) {
        if ((error as { code?: string }).code === ERROR_CODES.conflict) {
          throw domainError(
            ERROR_CODES.conflict,
            `Customer ${customerId} changed while this update was applied; read it and try again`,
          );
        }
        throw error;
      }
    },
    [`${CUSTOMER_ROUTES.erase.method} ${CUSTOMER_ROUTES.erase.resource}`]: async (_event, customerId) => {
      try {
        const record = await customers.erase(customerId, nowIso());
        context.logger.info("customer erased", { customerId });
        return json(200, customerView(record));
      } catch (error) {
        if ((error as { code?: string }).code === ERROR_CODES.conflict) {
          throw domainError(ERROR_CODES.notFound, `Customer ${customerId} does not exist`);
        }
        throw error;
      }
    },
    [`${CUSTOMER_ROUTES.operations.method} ${CUSTOMER_ROUTES.operations.resource}`]: async (
      _event,
      customerId,
    ) => {
      const records = await operations.listForCustomer(customerId, OPERATIONS_PAGE_SIZE);
      return json(200, { customerId, operations: records.map(operationView) });
    },
  };

  return async (event: ApiEvent): Promise<ApiResult> => {
    try {
      const route = routes[`${event.httpMethod} ${event.resource}`];
      if (!route) return routeNotFound(event);
      return await route(event, customerIdFrom(event));
    } catch (error) {
      return errorResponse(error, context.logger, event.requestContext?.requestId);
    }
  };
}
