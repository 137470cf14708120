/** drizzle-kit settings for the SQLite log table; run from the repository root (see migrations/README.md). */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './src/telemetry/log-table/schema.sqlite.ts',
  out: './src/telemetry/log-table/migrations/sqlite',
});
