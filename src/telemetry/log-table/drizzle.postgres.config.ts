/** drizzle-kit settings for the PostgreSQL log table; run from the repository root (see migrations/README.md). */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/telemetry/log-table/schema.postgres.ts',
  out: './src/telemetry/log-table/migrations/postgres',
});
