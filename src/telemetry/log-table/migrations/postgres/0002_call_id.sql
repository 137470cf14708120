ALTER TABLE "lessllm_calls" ADD COLUMN "call_id" text;--> statement-breakpoint
CREATE UNIQUE INDEX "lessllm_calls_call_id_idx" ON "lessllm_calls" USING btree ("call_id");