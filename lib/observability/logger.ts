import pino from "pino";
import { env } from "@/lib/env";

// The process's one logger: JSON lines on stdout that a log collector can
// index (level, time, msg, and fields such as reqId or workspaceId). Secrets
// never reach it: the paths below are censored wherever they appear, and
// passwords inside URLs in error messages (a connection string printed by a
// failing driver) are masked.

const CENSORED = [
  "authorization",
  "cookie",
  "token",
  "sessionToken",
  "password",
  "secret",
  "clientSecret",
  "DATABASE_URL",
  "AUTH_SECRET",
  "PODSPACE_METRICS_TOKEN",
];

export const logger = pino({
  name: "podspace",
  level: env.PODSPACE_LOG_LEVEL,
  redact: {
    paths: [
      "req.headers.authorization",
      "req.headers.cookie",
      'res.headers["set-cookie"]',
      "headers.authorization",
      "headers.cookie",
      ...CENSORED.map((key) => `*.${key}`),
      ...CENSORED,
    ],
    censor: "[redacted]",
  },
  serializers: {
    err: (error: unknown) => {
      const serialized = pino.stdSerializers.err(error as Error);
      // Anything may be thrown: a value that isn't an Error has no message or stack to clean.
      return { ...serialized, message: hideUrlPasswords(serialized.message ?? ""), stack: hideUrlPasswords(serialized.stack ?? "") };
    },
  },
});

/** postgresql://user:secret@host → postgresql://user:***@host, anywhere in the text. */
export function hideUrlPasswords(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:@\s/]*:)[^@\s/]+@/gi, "$1***@");
}
