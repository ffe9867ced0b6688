import { HANDLER_SETTINGS, requireSettings } from "../config/environment";
import { applyCustomerPatch, validateCustomerPatch, validateCustomerProfile } from "../domain/customerSchema";
import { ERROR_CODES, domainError, isDomainError } from "../domain/errors";
import { addressHash } from "../domain/privacy";
import { createAddressRepository } from "../adapters/addressRepository";
import {
  createCustomerRepository,
  isLiveCustomer,
  type CustomerRecord,
  type LiveCustomerRecord,
} from "../adapters/customerRepository";
import { createHashKeySecret } from "../adapters/hashKeySecret";
import { createOperationRepository } from "../adapters/operationRepository";
import { createSecretsManagerClient } from "../clients/secretsManagerClient";
import { createHandlerContext, type HandlerOptions } from "./handlerContext";
import { createRouter, idFromPath, json, parseJsonBody, type ApiEvent, type ApiResult } from "./http";
import { operationView } from "./operationView";

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

/**
 * `PUT /customers/{id}` creates or replaces a profile, `PATCH` changes some fields (preferences
 * included), `GET` reads it, `DELETE` erases its personal data and keeps a tombstone, and
 * `GET /customers/{id}/operations` lists the customer's operations, newest first.
 *
 * Every address a customer is given is registered with the address list first (a keyed hash of it),
 * and a suppression already on the list is saved with the profile, so notify finds a customer's
 * suppression in the customer's own item.
 */
export function createCustomersApiHandler(options: HandlerOptions = {}) {
  const context = createHandlerContext("customers-api", options);
  const settings = requireSettings(context.env, HANDLER_SETTINGS.customersApi.required);
  const customers = createCustomerRepository(context.documents(), settings.tableName);
  const addresses = createAddressRepository(context.documents(), settings.tableName);
  const operations = createOperationRepository(context.documents(), settings.tableName, {
    sleep: context.sleep,
  });
  const hashKey = createHashKeySecret(
    context.client("secretsManager", createSecretsManagerClient),
    settings.hashKeySecretId,
  );
  const nowIso = () => new Date(context.now()).toISOString();

  async function requireLiveCustomer(customerId: string): Promise<LiveCustomerRecord> {
    const record = await customers.get(customerId);
    if (!record)
      throw domainError(
        ERROR_CODES.notFound,
        `Customer ${customerId} does not exist; create it with PUT first`,
      );
    if (!isLiveCustomer(record)) throw domainError(ERROR_CODES.notFound, `Customer ${customerId} was erased`);
    return record;
  }

  /** The suppression to save with the profile, if the address is on the list; `undefined` otherwise. */
  async function registerAddress(customerId: string, email: string): Promise<string | undefined> {
    const hash = addressHash(email, await hashKey.get());
    const { suppressed } = await addresses.register(hash, customerId);
    return suppressed ? hash : undefined;
  }

  async function put(event: ApiEvent): Promise<ApiResult> {
    const customerId = idFromPath(event, "customer");
    const profile = validateCustomerProfile(parseJsonBody(event));
    const suppressed = await registerAddress(customerId, profile.email);
    const record = await customers.put(customerId, profile, nowIso(), suppressed);
    context.logger.info("customer saved", { customerId });
    return json(200, customerView(record));
  }

  async function get(event: ApiEvent): Promise<ApiResult> {
    return json(200, customerView(await requireLiveCustomer(idFromPath(event, "customer"))));
  }

  async function patch(event: ApiEvent): Promise<ApiResult> {
    const customerId = idFromPath(event, "customer");
    const changes = validateCustomerPatch(parseJsonBody(event));
    const current = await requireLiveCustomer(customerId);
    const profile = applyCustomerPatch(current.profile, changes);
    const key = await hashKey.get();
    const suppressed =
      addressHash(profile.email, key) === addressHash(current.profile.email, key)
        ? undefined
        : await registerAddress(customerId, profile.email);
    try {
      const record = await customers.replaceIfUnchanged(
        customerId,
        profile,
        current.version,
        nowIso(),
        suppressed,
      );
      context.logger.info("customer updated", { customerId, fields: Object.keys(changes) });
      return json(200, customerView(record));
    } catch (error) {
      if (isDomainError(error) && error.code === ERROR_CODES.conflict) {
        throw domainError(
          ERROR_CODES.conflict,
          `Customer ${customerId} changed while this update was applied; read it and try again`,
        );
      }
      throw error;
    }
  }

  async function erase(event: ApiEvent): Promise<ApiResult> {
    const customerId = idFromPath(event, "customer");
    try {
      const record = await customers.erase(customerId, nowIso());
      context.logger.info("customer erased", { customerId });
      return json(200, customerView(record));
    } catch (error) {
      if (isDomainError(error) && error.code === ERROR_CODES.conflict) {
        throw domainError(ERROR_CODES.notFound, `Customer ${customerId} does not exist`);
      }
      throw error;
    }
  }

  async function listOperations(event: ApiEvent): Promise<ApiResult> {
    const customerId = idFromPath(event, "customer");
    const records = await operations.listForCustomer(customerId, OPERATIONS_PAGE_SIZE);
    return json(200, { customerId, operations: records.map(operationView) });
  }

  return createRouter(
    [
      [CUSTOMER_ROUTES.put, put],
      [CUSTOMER_ROUTES.get, get],
      [CUSTOMER_ROUTES.patch, patch],
      [CUSTOMER_ROUTES.erase, erase],
      [CUSTOMER_ROUTES.operations, listOperations],
    ],
    context.logger,
  );
}
