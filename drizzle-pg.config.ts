import { defineConfig } from 'drizzle-kit';

// `npm run db:generate:pg` writes PostgreSQL migrations into migrations-pg/ from the schema derived
// from src/db/schema.ts (src/db/pg-schema.ts). Run it together with `npm run db:generate`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/pg-schema.ts',
  out: './migrations-pg',
});
