/** One migration as drizzle-kit wrote it: its SQL split at the statement breakpoints. */
export type Migration = {
  tag: string;
  /** drizzle-kit's timestamp for it, which orders migrations and marks them applied. */
  createdAt: number;
  /** sha256 of the .sql file, as drizzle's own migrator records it. */
  hash: string;
  statements: string[];
};
