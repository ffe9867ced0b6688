import { ValidationErrorsIBAN, getCountrySpecifications, validateIBAN } from "ibantools";

/** An IBAN as typed, with its spaces dropped and its letters upper-cased. */
export function normalizeIban(value: string): string {
  return value.replace(/ /g, "").toUpperCase();
}

export interface IbanProblem {
  /** Stable rule name for the field error. */
  rule: "iban-country" | "iban-length" | "iban-format" | "iban-checksum";
  /** What is wrong, said after the field's name. */
  problem: string;
}

/**
 * What is wrong with an IBAN, or undefined if it is valid. `ibantools` holds the IBAN registry's
 * length and BBAN format of every country, checks the ISO 13616 mod-97 checksum and, for the countries
 * that have one, the national check digits.
 */
export function ibanProblem(value: string): IbanProblem | undefined {
  const iban = normalizeIban(value);
  const { valid, errorCodes } = validateIBAN(iban);
  if (valid) return undefined;
  if (iban === "") return { rule: "iban-format", problem: "must not be empty" };
  const country = iban.slice(0, 2);
  if (errorCodes.includes(ValidationErrorsIBAN.NoIBANCountry) || !/^[A-Z]{2}$/.test(country)) {
    return {
      rule: "iban-country",
      problem: `must start with the code of a country that uses IBANs, not "${country}"`,
    };
  }
  if (errorCodes.includes(ValidationErrorsIBAN.WrongBBANLength)) {
    const length = getCountrySpecifications()[country]?.chars;
    return {
      rule: "iban-length",
      problem: `must be ${length} characters long for ${country}, not ${iban.length}`,
    };
  }
  if (errorCodes.includes(ValidationErrorsIBAN.WrongBBANFormat)) {
    return {
      rule: "iban-format",
      problem: `does not have the format of a ${country} IBAN (letters or digits where the other is expected)`,
    };
  }
  return { rule: "iban-checksum", problem: "has a wrong checksum; check for a typing error" };
}

/** Only the last four characters of an account number ever leave the customer record or the API. */
export function ibanLast4(value: string): string {
  return normalizeIban(value).slice(-4);
}

export function maskAccount(last4: string): string {
  return `•••• ${last4}`;
}
