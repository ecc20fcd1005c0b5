import { defineConfig } from "drizzle-kit";

// Generates SQL migrations from the schema: `npm run db:generate`. The same SQL runs on PGlite and
// PostgreSQL; the server applies it at start (and `piaoma migrate`).
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/platform/db/schema/index.ts",
  out: "./drizzle",
});
