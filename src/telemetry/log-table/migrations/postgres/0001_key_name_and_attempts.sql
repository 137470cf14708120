ALTER TABLE "lessllm_calls" ADD COLUMN "key_name" text;--> statement-breakpoint
ALTER TABLE "lessllm_calls" ADD COLUMN "attempts" integer;