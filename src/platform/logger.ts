import pino, { type Logger } from "pino";

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "piaoma" },
      // Secrets and personal data that may pass through request logging.
      redact: {
        paths: [
          "req.headers.authorization",
          "req.headers.cookie",
          "req.headers['x-signature']",
          'res.headers["set-cookie"]',
          "*.password",
          "*.appSecret",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
