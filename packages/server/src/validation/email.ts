import { isIPv4, isIPv6 } from "node:net";
import { domainToASCII } from "node:url";
import { pyLen } from "./python.js";

// Django 3.2's EmailValidator, expression for expression.
const USER_PART =
  /^(?:[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*|"(?:[\x01-\x08\x0b\x0c\x0e-\x1f!#-[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*")$/iu;
const DOMAIN_PART = /^(?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+[A-Z0-9-]{2,63}(?<!-)$/iu;
const LITERAL_PART = /^\[([A-f0-9:.]+)\]$/iu;
const DOMAIN_ALLOWLIST = new Set(["localhost"]);
/** RFC 3696 section 3, as Django checks it. */
const MAX_EMAIL_LENGTH = 320;

export function isValidEmail(value: string): boolean {
  if (!value || !value.includes("@") || pyLen(value) > MAX_EMAIL_LENGTH) return false;
  const at = value.lastIndexOf("@");
  const userPart = value.slice(0, at);
  const domainPart = value.slice(at + 1);
  if (!USER_PART.test(userPart)) return false;
  if (DOMAIN_ALLOWLIST.has(domainPart) || isValidDomainPart(domainPart)) return true;
  // An internationalized domain may still be valid once converted to punycode.
  const ascii = /[^\x00-\x7f]/.test(domainPart) ? domainToASCII(domainPart) : "";
  return ascii !== "" && isValidDomainPart(ascii);
}

function isValidDomainPart(domain: string): boolean {
  if (DOMAIN_PART.test(domain)) return true;
  const literal = LITERAL_PART.exec(domain)?.[1];
  return literal !== undefined && (isIPv4(literal) || isIPv6(literal));
}
