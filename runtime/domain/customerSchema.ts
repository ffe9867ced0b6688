import { array, mixed, string } from "yup";
import { OPT_OUT_CATEGORIES, SECURITY_CATEGORY, type OptOutCategory } from "./operationKinds";
import { isDecimalString, isIsoCurrency, fractionDigits, minorDigits } from "./money";
import { closedObject, freeText, validateWith } from "./validation";

export interface CustomerPreferences {
  /** Categories the customer does not want e-mails for. Security alerts cannot be opted out of. */
  optedOutCategories: OptOutCategory[];
  /** Per currency, the amount below which no e-mail is sent, as a decimal string. */
  minimumAmounts: Record<string, string>;
}

export interface CustomerProfile {
  email: string;
  /** BCP 47 tag; formatting follows it exactly, templates fall back to a supported language. */
  locale: string;
  displayName: string;
  /** IANA time zone, for example Europe/Paris. */
  timeZone: string;
  preferences: CustomerPreferences;
}

export type CustomerPatch = Partial<Omit<CustomerProfile, "preferences">> & {
  preferences?: Partial<CustomerPreferences>;
};

export const DISPLAY_NAME_MAX_LENGTH = 100;
export const EMAIL_MAX_LENGTH = 254;

function isCanonicalizableLocale(value: string): boolean {
  try {
    return Intl.getCanonicalLocales(value).length === 1;
  } catch {
    return false;
  }
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function preferencesSchema() {
  return closedObject({
    optedOutCategories: array()
      .strict(true)
      .typeError("preferences.optedOutCategories must be a list")
      .of(
        string()
          .strict(true)
          .typeError("each opted-out category must be a string")
          .notOneOf([SECURITY_CATEGORY], "security alerts cannot be turned off")
          .oneOf(
            [...OPT_OUT_CATEGORIES],
            `each opted-out category must be one of: ${OPT_OUT_CATEGORIES.join(", ")}`,
          ),
      )
      .max(OPT_OUT_CATEGORIES.length, "preferences.optedOutCategories lists a category more than once")
      .test("unique", "preferences.optedOutCategories lists a category more than once", (list) =>
        list === undefined ? true : new Set(list).size === list.length,
      ),
    minimumAmounts: mixed<Record<string, string>>().test("minimum-amounts", function (value) {
      if (value === undefined) return true;
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return this.createError({
          message: 'preferences.minimumAmounts must be an object such as {"EUR": "50.00"}',
        });
      }
      for (const [currency, amount] of Object.entries(value)) {
        const path = `${this.path}.${currency}`;
        if (!isIsoCurrency(currency)) {
          return this.createError({ path, message: `${currency} is not an ISO 4217 currency code` });
        }
        if (typeof amount !== "string" || !isDecimalString(amount) || amount.startsWith("-")) {
          return this.createError({
            path,
            message: `${path} must be a non-negative decimal string such as "50.00"`,
          });
        }
        if (fractionDigits(amount) > minorDigits(currency)) {
          return this.createError({
            path,
            message: `${path} has more than ${minorDigits(currency)} decimals`,
          });
        }
      }
      return true;
    }),
  });
}

function profileFields() {
  return {
    email: string()
      .strict(true)
      .typeError("email must be a string")
      .max(EMAIL_MAX_LENGTH, `email must be at most ${EMAIL_MAX_LENGTH} characters`)
      .email("email must be an e-mail address such as name@example.com")
      .test("ascii", "email must not contain spaces or control characters", (v) =>
        v === undefined ? true : !/[\s\p{Cc}]/u.test(v),
      ),
    locale: string()
      .strict(true)
      .typeError("locale must be a string")
      .test("bcp-47", 'locale must be a language tag such as "fr" or "en-GB"', (v) =>
        v === undefined ? true : isCanonicalizableLocale(v),
      ),
    displayName: freeText("displayName", DISPLAY_NAME_MAX_LENGTH),
    timeZone: string()
      .strict(true)
      .typeError("timeZone must be a string")
      .test("iana", 'timeZone must be an IANA time zone such as "Europe/Paris"', (v) =>
        v === undefined ? true : isTimeZone(v),
      ),
  };
}

/** The body of `PUT /customers/{id}`: a full profile, preferences optional. */
export function buildCustomerSchema() {
  const fields = profileFields();
  return closedObject({
    email: fields.email.required("email is required"),
    locale: fields.locale.required("locale is required"),
    displayName: fields.displayName.required("displayName is required"),
    timeZone: fields.timeZone.required("timeZone is required"),
    preferences: preferencesSchema().default(undefined).optional(),
  });
}

/** The body of `PATCH /customers/{id}`: any subset of the profile; preference fields replace their value. */
export function buildCustomerPatchSchema() {
  return closedObject({
    ...profileFields(),
    preferences: preferencesSchema().default(undefined).optional(),
  }).test(
    "not-empty",
    "the body must change at least one field",
    (value) => value === undefined || Object.keys(value).length > 0,
  );
}

export function validateCustomerProfile(input: unknown): CustomerProfile {
  const value = validateWith(buildCustomerSchema(), input) as Omit<CustomerProfile, "preferences"> & {
    preferences?: Partial<CustomerPreferences>;
  };
  return {
    ...value,
    locale: Intl.getCanonicalLocales(value.locale)[0],
    preferences: withDefaults(value.preferences),
  };
}

export function validateCustomerPatch(input: unknown): CustomerPatch {
  const patch = validateWith(buildCustomerPatchSchema(), input) as CustomerPatch;
  return patch.locale === undefined ? patch : { ...patch, locale: Intl.getCanonicalLocales(patch.locale)[0] };
}

export function withDefaults(preferences: Partial<CustomerPreferences> | undefined): CustomerPreferences {
  return {
    optedOutCategories: preferences?.optedOutCategories ?? [],
    minimumAmounts: preferences?.minimumAmounts ?? {},
  };
}

export function applyCustomerPatch(profile: CustomerProfile, patch: CustomerPatch): CustomerProfile {
  return {
    ...profile,
    ...patch,
    preferences: { ...profile.preferences, ...patch.preferences },
  };
}
