import nodemailer from "nodemailer";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Sends one message; rejects when the SMTP server refuses it or cannot be reached in time. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/**
 * Bounds on every SMTP exchange, so a server that accepts the connection and
 * then says nothing cannot hold a send (or a shutdown) for nodemailer's
 * defaults of minutes.
 */
export const SMTP_TIMEOUTS: SmtpTimeouts = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

export type SmtpTimeouts = Record<"connectionTimeout" | "greetingTimeout" | "socketTimeout", number>;

/**
 * Mail over SMTP with nodemailer: `smtp://` (STARTTLS when the server offers
 * it; `?requireTLS=true` insists), `smtps://` (TLS from the start), with the
 * credentials in the URL. The URL is never logged; errors are reported by
 * `describeMailError`, which names no address, password or message text.
 */
export function smtpMailer(url: string, from: string, timeouts = SMTP_TIMEOUTS): Mailer {
  // Options with the URL in them: a second argument would be message defaults, and the timeouts ignored.
  const transport = nodemailer.createTransport({ url, ...timeouts, disableFileAccess: true, disableUrlAccess: true });
  return {
    send: async (message) => {
      await transport.sendMail({ from, to: message.to, subject: message.subject, text: message.text });
    },
    close: () => {
      transport.close();
    },
  };
}

/** What went wrong, from the error's code and SMTP reply code only (never its text, which may quote the message). */
export function describeMailError(error: unknown): string {
  const { code, responseCode, command } = (error ?? {}) as { code?: unknown; responseCode?: unknown; command?: unknown };
  const parts = [typeof code === "string" ? code : "error"];
  if (typeof command === "string") parts.push(`at ${command.split(" ")[0]}`);
  if (typeof responseCode === "number") parts.push(`reply ${responseCode}`);
  return parts.join(" ");
}

/** The SMTP URL as it may be shown: scheme, host and port only. */
export function redactSmtpUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return "an SMTP URL";
  }
}
